"""Shared mechanisms with no business rules: settings, database, errors, audit, money, clock, security."""
