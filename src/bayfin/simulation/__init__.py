"""Generators and simulators: synthetic populations, deliveries with planted faults, demo traffic."""
