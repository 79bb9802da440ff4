"""Text clean-up for agency data: full-width → half-width, whitespace (the same rules the import applies in SQL)."""

from __future__ import annotations

import re

# Full-width digits, Latin letters and parentheses, and the ideographic space, with their half-width forms.
# Other full-width punctuation (，。：) stays: it is ordinary Chinese text, not a typing accident.
FULL_WIDTH = (
    "".join(chr(c) for c in range(ord("０"), ord("９") + 1))
    + "".join(chr(c) for c in range(ord("Ａ"), ord("Ｚ") + 1))
    + "".join(chr(c) for c in range(ord("ａ"), ord("ｚ") + 1))
    + "（）\u3000\u00a0"
)
HALF_WIDTH = "0123456789" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz" + "()  "
assert len(FULL_WIDTH) == len(HALF_WIDTH)

_TABLE = str.maketrans(FULL_WIDTH, HALF_WIDTH)
# The whitespace RE2 (DuckDB) means by \s, so Python and SQL agree on every input.
_SPACES = re.compile(r"[\t\n\f\r ]+")


def to_half_width(value: str) -> str:
    """Full-width digits, letters, parentheses and spaces as their half-width forms; everything else unchanged."""
    return value.translate(_TABLE)


def squeeze(value: str | None) -> str | None:
    """Half-width, trimmed, inner runs of whitespace collapsed to one space; None for blank."""
    if value is None:
        return None
    out = _SPACES.sub(" ", to_half_width(value)).strip(" ")
    return out or None


def compact(value: str | None) -> str | None:
    """Half-width, upper case, every whitespace character removed (for codes); None for blank."""
    if value is None:
        return None
    out = _SPACES.sub("", to_half_width(value)).upper()
    return out or None
