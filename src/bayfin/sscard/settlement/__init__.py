"""End-of-day clearing: settlement files per bank and acquirer, reconciliation, cross-border statistics."""
