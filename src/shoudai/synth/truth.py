"""What the build should make of a batch: the list rules of docs/design/two-lists.md applied to the generator's truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shoudai.reference.size import rule_for
from shoudai.synth.population import City, Entities

# Reasons, in the build's precedence order; KEPT = on a list.
KEPT, CONVERTED, DEREGISTERED, TAX_ABNORMAL, SIZE_GROWN, REJECTED, GONE = range(7)
REASON_NAMES = ("kept", "converted", "deregistered", "tax_abnormal", "size_grown", "rejected", "gone")
SIZE_NAMES = ("micro", "small", "medium", "large", "unknown")
TIER_NAMES = ("A", "B", "C")
_FIGURE = {"employees": 0, "revenue": 1, "assets": 2}


@dataclass(frozen=True)
class SizeTable:
    """Per industry (in City order): which figure each indicator reads, and the bounds in file units ×100 or heads."""

    figure: np.ndarray  # (industries, 2), -1 = no second indicator
    bounds: np.ndarray  # (industries, 3 classes large/medium/small, 2)

    @classmethod
    def for_city(cls, city: City) -> SizeTable:
        figure = np.full((len(city.industry_codes), 2), -1, dtype=np.int64)
        bounds = np.zeros((len(city.industry_codes), 3, 2), dtype=np.int64)
        for i, code in enumerate(city.industry_codes):
            rule = rule_for(code)
            for j, indicator in enumerate(rule.indicators):
                figure[i, j] = _FIGURE[indicator]
                scale = 1 if indicator == "employees" else 100
                for c, cls_bounds in enumerate((rule.large, rule.medium, rule.small)):
                    bounds[i, c, j] = int(cls_bounds[j] * scale)
        return cls(figure, bounds)

    def classify(self, e: Entities) -> np.ndarray:
        """Size class index (SIZE_NAMES) from the tax figures, exactly as shoudai.reference.size.classify."""
        values = np.stack([e.employees, e.revenue, e.assets], axis=1)
        known = ~e.blank[:, [1, 0, 2]]
        rows = np.arange(e.n)
        fig = self.figure[e.industry]
        bnd = self.bounds[e.industry]
        has = fig >= 0
        col = np.where(has, fig, 0)
        v = values[rows[:, None], col]
        k = known[rows[:, None], col] & has
        micro = (k & (v < bnd[:, 2, :])).any(axis=1)
        unknown = ~micro & (has & ~k).any(axis=1)
        large = (~has | (v >= bnd[:, 0, :])).all(axis=1)
        medium = (~has | (v >= bnd[:, 1, :])).all(axis=1)
        return np.select([micro, unknown, large, medium], [0, 4, 3, 2], default=1).astype(np.int8)


@dataclass
class Verdict:
    """Per entity: reason (KEPT or why not), tier and size class (meaningful where listed)."""

    reason: np.ndarray
    tier: np.ndarray
    size: np.ndarray

    @property
    def listed(self) -> np.ndarray:
        return self.reason == KEPT


def judge(e: Entities, sizes: SizeTable) -> Verdict:
    """Apply the build rules (L3–L6) to the entities' current state."""
    operating = e.status <= 1
    tax_abnormal = e.tax & (e.tax_status != 0)
    size = np.where(e.tax, sizes.classify(e), 4)
    size = np.where(e.kind == 0, 4, size).astype(np.int8)
    grown = (e.kind != 0) & ((size == 2) | (size == 3))
    rejected = e.m_badcheck & ~e.legacy
    reason = np.select(
        [e.gone, rejected, e.counted_history(), ~operating, tax_abnormal, grown],
        [GONE, REJECTED, CONVERTED, DEREGISTERED, TAX_ABNORMAL, SIZE_GROWN],
        default=KEPT,
    ).astype(np.int8)
    rated = e.grade <= 2  # A, B or M
    tier = np.where(~e.tax, 2, np.where(rated, 0, 1)).astype(np.int8)
    return Verdict(reason, tier, size)
