"""The agency imports and the two no-loan lists (REQUIREMENTS L1–L7)."""
