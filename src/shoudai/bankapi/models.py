"""Tables of the bank API (placeholder until filled in)."""

from shoudai.db import Base  # noqa: F401
