"""Generators and simulators (synthetic data, planted faults, demo traffic), out of production modules."""
