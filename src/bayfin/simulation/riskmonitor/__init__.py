"""Generators of the risk-monitoring evidence deliveries (web, police, hotline, licences) over the region."""
