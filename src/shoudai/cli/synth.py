"""`shoudai synth` (being written)."""

from __future__ import annotations


def synth() -> None:
    """Generate a synthetic city."""
    raise SystemExit("not yet available")
