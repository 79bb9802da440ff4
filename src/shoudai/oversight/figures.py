"""Pure helpers for the figures in bulletins and assessments: percentages, medians, competition ranks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar

from shoudai.oversight.money import round_half_up

T = TypeVar("T")
NO_DATA = "无数据"


def pct(part: int | Decimal | None, whole: int | Decimal | None, places: int = 2) -> Decimal | None:
    """part/whole as a percentage rounded half-up, or None where the whole is missing or zero."""
    if part is None or not whole:
        return None
    return round_half_up(Decimal(part) * 100 / Decimal(whole), places)


def median(values: Sequence[float | Decimal]) -> Decimal | None:
    """The median (mean of the middle two for an even count), or None for no values."""
    if not values:
        return None
    s = sorted(Decimal(str(v)) for v in values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def competition_rank(items: Sequence[T], key: Callable[[T], tuple]) -> list[int]:
    """Ranks 1, 2, 2, 4 … by `key` descending (equal keys share a rank), in the items' order."""
    keys = [key(i) for i in items]
    ordered = sorted(keys, reverse=True)
    first = {}
    for pos, k in enumerate(ordered, start=1):
        first.setdefault(k, pos)
    return [first[k] for k in keys]
