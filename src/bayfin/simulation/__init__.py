"""Generators and simulators: synthetic data, planted faults and demo traffic, out of production modules."""
