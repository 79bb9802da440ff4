"""Read the replaceable reference files (this city's, or SHOUDAI_REFERENCE_DIR's)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from shoudai.config import get_settings

PACKAGE_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class City:
    code: str
    name: str
    province: str
    name_en: str = ""  # optional column: the name on English pages


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    kind: str  # district | county | city | zone | legacy
    weight: float
    replaced_by: str | None

    @property
    def is_reporting_unit(self) -> bool:
        return self.kind != "legacy"


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    short_name: str
    category: str


@dataclass(frozen=True)
class IndustrySection:
    section: str
    name: str
    division_from: int
    division_to: int


@dataclass(frozen=True)
class SizeRule:
    rule: str
    name: str
    match: tuple[str, ...]
    indicators: tuple[str, ...]  # employees | revenue | assets
    large: tuple[Decimal, ...]
    medium: tuple[Decimal, ...]
    small: tuple[Decimal, ...]


@dataclass(frozen=True)
class Product:
    """A bank's published first-loan product (F1's credit list), as the need form's "recommend for me" reads it."""

    bank_code: str
    name: str
    min_wan: Decimal
    max_wan: Decimal
    max_term_months: int
    guarantees: frozenset[str]  # empty: any guarantee on offer
    counties: frozenset[str]  # empty: the whole city

    def fits(self, amount_wan: Decimal, term_months: int | None, county: str | None, guarantee: str | None) -> bool:
        return (self.min_wan <= amount_wan <= self.max_wan
                and (term_months is None or term_months <= self.max_term_months)
                and (not self.counties or county in self.counties)
                and (not self.guarantees or guarantee is None or guarantee in self.guarantees))


def reference_dir() -> Path:
    return get_settings().reference_dir or PACKAGE_DATA


def _rows(name: str) -> list[dict[str, str]]:
    with open(reference_dir() / name, encoding="utf-8-sig", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


@lru_cache
def city() -> City:
    """The city these reference files describe; SHOUDAI_CITY_NAME overrides its display name."""
    (row,) = _rows("city.csv")
    settings = get_settings()
    return City(row["code"], settings.city_name or row["name"], row["province"],
                settings.city_name_en or (row.get("name_en") or "").strip())


@lru_cache
def divisions() -> tuple[Division, ...]:
    """Every division code the city's data may carry, legacy codes included."""
    return tuple(
        Division(r["code"], r["name"], r["kind"], float(r["weight"] or 0), r["replaced_by"] or None)
        for r in _rows("divisions.csv")
    )


def reporting_units() -> tuple[Division, ...]:
    """Counties, districts, county-level cities and functional zones: the units lists and bulletins are split by."""
    return tuple(d for d in divisions() if d.is_reporting_unit)


def division_code_map() -> dict[str, str]:
    """Any known code (current or legacy) → the current reporting unit's code."""
    return {d.code: (d.replaced_by or d.code) for d in divisions()}


def division_names() -> dict[str, str]:
    return {d.code: d.name for d in reporting_units()}


@lru_cache
def banks() -> tuple[Bank, ...]:
    return tuple(Bank(r["code"], r["name"], r["short_name"], r["category"]) for r in _rows("banks.csv"))


@lru_cache
def products() -> tuple[Product, ...]:
    """The banks' published first-loan products; a city without a products.csv has none (routing falls back)."""
    if not (reference_dir() / "products.csv").exists():
        return ()

    def split(v: str) -> frozenset[str]:
        return frozenset(x.strip() for x in v.split("|") if x.strip())

    return tuple(
        Product(r["bank_code"], r["product"], Decimal(r["min_wan"]), Decimal(r["max_wan"]), int(r["max_term_months"]),
                split(r["guarantees"]), split(r["counties"]))
        for r in _rows("products.csv")
    )


@lru_cache
def industry_sections() -> tuple[IndustrySection, ...]:
    return tuple(
        IndustrySection(r["section"], r["name"], int(r["division_from"]), int(r["division_to"]))
        for r in _rows("industries.csv")
    )


def section_of_division(division: int) -> str | None:
    """The GB/T 4754 section letter of a 2-digit division, or None if no section spans it."""
    for s in industry_sections():
        if s.division_from <= division <= s.division_to:
            return s.section
    return None


@lru_cache
def size_rules() -> tuple[SizeRule, ...]:
    out = []
    for r in _rows("size_thresholds.csv"):
        inds = tuple(i for i in (r["indicator_1"], r["indicator_2"]) if i)
        bounds = {
            cls: tuple(Decimal(r[f"{cls}_{n}"]) for n in range(1, len(inds) + 1)) for cls in ("large", "medium", "small")
        }
        out.append(SizeRule(r["rule"], r["name"], tuple(r["match"].split()), inds, **bounds))
    return tuple(out)


def clear_caches() -> None:
    """Forget loaded files (tests that point SHOUDAI_REFERENCE_DIR elsewhere)."""
    for fn in (city, divisions, banks, products, industry_sections, size_rules):
        fn.cache_clear()
