"""Generators of the risk-monitoring evidence deliveries (web, police, hotline, licences) over the region."""

from bayfin.simulation.riskmonitor.deliveries import generate_risk_region, risk_evidence

__all__ = ["generate_risk_region", "risk_evidence"]
