"""Analyst cases: held decisions and alerts worked from a priority queue; their outcomes label events."""
