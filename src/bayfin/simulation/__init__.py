"""Generators and simulators: synthetic data, demo traffic and planted faults, out of production modules."""
