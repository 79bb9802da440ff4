"""Audit trail (X3): append-only, hash-chained, kept at least 180 days."""
