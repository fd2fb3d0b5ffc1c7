"""bayfin: the Guangdong fintech pilot's systems as one open-source platform."""

__version__ = "0.1.0"
