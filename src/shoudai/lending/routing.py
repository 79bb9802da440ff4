"""Which banks a need goes to when the business says "recommend for me", and where it goes next (Q7).

First the banks' published first-loan products (reference products.csv, F1's credit list): only banks with a product
that fits the amount, term, county and guarantee are recommended. Among those (or among all, when no product fits or
the city has no catalogue, so a business is never left with no bank), an order that is deterministic and explainable:
  1. the business's own county's rural commercial bank (a local legal-person bank; city districts and zones
     get the city's own, e.g. 新乡农商银行);
  2. for amounts up to 300万元 the Postal Savings Bank (its inclusive-finance mandate), above that one of the
     five large state banks, chosen by a stable hash of the credit code so the load spreads evenly;
  3. one city commercial bank, chosen the same way.
The policy bank (农发行) and village banks are never recommended. Reroute takes the next bank of the same
ordering (extended by every other commercial bank) that the need has not been to yet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal

from shoudai.reference.loaders import Bank, Product, banks, city, division_names, products

POSTAL_LIMIT_WAN = Decimal(300)
MAX_BANKS = 3
RECOMMENDABLE = ("rural_commercial", "large_state", "city_commercial", "joint_stock")


def _spin(uscc: str, items: Sequence[str]) -> list[str]:
    """`items` rotated by a stable hash of the credit code."""
    if not items:
        return []
    k = int(hashlib.sha256(uscc.encode()).hexdigest()[:8], 16) % len(items)
    return list(items[k:]) + list(items[:k])


def county_rural_bank(county_code: str | None, all_banks: Sequence[Bank]) -> str | None:
    """The rural commercial bank named after the county (辉县市 → 辉县农商银行), else the city's own."""
    rural = [b for b in all_banks if b.category == "rural_commercial"]
    name = division_names().get(county_code or "", "")
    stem = name[:-1] if len(name) > 2 and name[-1] in "市县" else name
    for b in rural:
        if stem and b.name.startswith(stem):
            return b.code
    city_stem = city().name.rstrip("市")
    own = [b for b in rural if city_stem and b.name.startswith(city_stem)]
    return own[0].code if own else (rural[0].code if rural else None)


def ordering(uscc: str, county_code: str | None, amount_wan: Decimal, all_banks: Sequence[Bank] | None = None
             ) -> list[str]:
    """Every recommendable bank, best first, for this business."""
    all_banks = list(all_banks if all_banks is not None else banks())
    by_cat = {c: [b.code for b in all_banks if b.category == c] for c in RECOMMENDABLE}
    large = by_cat["large_state"]
    postal = [c for c in large if c == "PSBC"]
    big_five = [c for c in large if c != "PSBC"]
    out: list[str] = []
    local = county_rural_bank(county_code, all_banks)
    if local:
        out.append(local)
    if Decimal(amount_wan) <= POSTAL_LIMIT_WAN and postal:
        out += postal + _spin(uscc, big_five)
    else:
        out += _spin(uscc, big_five) + postal
    out += _spin(uscc, by_cat["city_commercial"]) + _spin(uscc, by_cat["joint_stock"])
    out += _spin(uscc, [c for c in by_cat["rural_commercial"] if c != local])
    seen: set[str] = set()
    return [c for c in out if not (c in seen or seen.add(c))]


def fitting(order: Sequence[str], county_code: str | None, amount_wan: Decimal, term_months: int | None = None,
            guarantee: str | None = None, catalogue: Sequence[Product] | None = None) -> list[str]:
    """The banks of `order` (in that order) with a published product that fits this need."""
    catalogue = products() if catalogue is None else catalogue
    amount = Decimal(amount_wan)
    ok = {p.bank_code for p in catalogue if p.fits(amount, term_months, county_code, guarantee)}
    return [c for c in order if c in ok]


def recommend(uscc: str, county_code: str | None, amount_wan: Decimal, all_banks: Sequence[Bank] | None = None, *,
              term_months: int | None = None, guarantee: str | None = None,
              catalogue: Sequence[Product] | None = None) -> list[str]:
    """Up to three banks for a "recommend for me" need: local rural bank, a large bank, a city bank — among the
    banks whose products fit, when any do."""
    order = ordering(uscc, county_code, amount_wan, all_banks)
    order = fitting(order, county_code, amount_wan, term_months, guarantee, catalogue) or order
    picked = order[:1]
    pools = [("large_state",), ("city_commercial",)]
    cats = {b.code: b.category for b in (all_banks if all_banks is not None else banks())}
    for pool in pools:
        for code in order:
            if cats.get(code) in pool and code not in picked:
                picked.append(code)
                break
    for code in order:  # fewer banks in the reference data than pools: fill from the ordering
        if len(picked) >= MAX_BANKS:
            break
        if code not in picked:
            picked.append(code)
    return picked[:MAX_BANKS]


def next_bank(uscc: str, county_code: str | None, amount_wan: Decimal, tried: Sequence[str],
              all_banks: Sequence[Bank] | None = None, *, term_months: int | None = None,
              guarantee: str | None = None, catalogue: Sequence[Product] | None = None) -> str | None:
    """The best bank this need has not been to yet (one whose product fits first), or None when all were tried."""
    order = ordering(uscc, county_code, amount_wan, all_banks)
    for code in fitting(order, county_code, amount_wan, term_months, guarantee, catalogue) + order:
        if code not in tried:
            return code
    return None
