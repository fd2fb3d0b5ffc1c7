"""Generators of the supply-chain graph deliveries (invoices, transfers, holdings…) over the demo region."""
