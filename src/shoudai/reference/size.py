"""Enterprise size class by the 2011 rules: the pure reference the SQL build must agree with."""

from __future__ import annotations

from decimal import Decimal

from shoudai.reference.loaders import SizeRule, section_of_division, size_rules


def rule_for(industry_code: str | None, rules: tuple[SizeRule, ...] | None = None) -> SizeRule:
    """The rule whose `match` is the longest prefix of the code ('C1713' or '1713'); '*' when none fits."""
    rules = rules or size_rules()
    digits = "".join(ch for ch in (industry_code or "") if ch.isdigit())
    section = (industry_code or "")[:1].upper() if (industry_code or "")[:1].isalpha() else None
    if section is None and len(digits) >= 2:
        section = section_of_division(int(digits[:2]))
    best, best_len = None, -1
    for rule in rules:
        for m in rule.match:
            if m == "*":
                length = 0
            elif m.isdigit() and digits.startswith(m):
                length = len(m) + 1  # a division or class beats its section letter
            elif m.isalpha() and m == section:
                length = 1
            else:
                continue
            if length > best_len:
                best, best_len = rule, length
    if best is None:
        raise LookupError("size_thresholds has no '*' rule")
    return best


def classify(rule: SizeRule, figures: dict[str, Decimal | int | None]) -> str:
    """large | medium | small | micro | unknown.

    A class needs every indicator at or above its bound. One known indicator below the small bound is enough to say
    micro; otherwise a missing indicator leaves the class unknown.
    """
    values = [figures.get(ind) for ind in rule.indicators]
    if any(v is not None and Decimal(v) < b for v, b in zip(values, rule.small, strict=True)):
        return "micro"
    if any(v is None for v in values):
        return "unknown"
    for cls in ("large", "medium"):
        if all(Decimal(v) >= b for v, b in zip(values, getattr(rule, cls), strict=True)):
            return cls
    return "small"  # every indicator is at or above the small bounds
