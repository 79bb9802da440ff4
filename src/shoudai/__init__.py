"""首贷通 Shoudai: a city's first-loan programme platform."""

__version__ = "0.1.0"
