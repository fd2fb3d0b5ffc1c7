"""Demo data of the social-security-card module."""
