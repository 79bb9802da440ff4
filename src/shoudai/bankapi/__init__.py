"""Per-bank API credentials and request signatures (issue 4, X4)."""
