"""Credit scoring for thin-file firms: hub features, a PDO scorecard, a LightGBM challenger, a registry."""
