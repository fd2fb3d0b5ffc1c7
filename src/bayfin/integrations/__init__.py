"""Adapters to outside systems (Redis, brokers…), each behind an interface with an in-memory twin."""
