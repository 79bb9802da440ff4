"""Reference look-ups the oversight services share: banks, reporting units, the newest list version, the city."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shoudai.kit.text import compact
from shoudai.oversight.errors import OversightError
from shoudai.reference import loaders
from shoudai.registry.models import ListEntry, ListVersion

UNKNOWN_UNIT = "000000"  # loans whose county cannot be told; shown as 未归属
UNKNOWN_UNIT_NAME = "未归属县区"
LIST_KIND_NAMES = {"sme": "小微企业", "individual": "个体工商户"}


@dataclass(frozen=True)
class BankRef:
    code: str
    name: str
    short_name: str

    @property
    def spellings(self) -> frozenset[str]:
        return frozenset(compact(s) for s in (self.code, self.name, self.short_name) if s)


def bank(code_or_name: str) -> BankRef:
    """The bank named by its code, registered name or short name; OversightError if the platform does not know it."""
    key = compact(code_or_name)
    for b in loaders.banks():
        ref = BankRef(b.code, b.name, b.short_name)
        if key in ref.spellings:
            return ref
    raise OversightError(f"平台上没有这家金融机构：{code_or_name}")


def bank_names() -> dict[str, str]:
    """Bank code → short name, as bulletins print them."""
    return {b.code: b.short_name or b.name for b in loaders.banks()}


def unit_names() -> dict[str, str]:
    """Reporting-unit code → name, in the reference file's order."""
    return {d.code: d.name for d in loaders.reporting_units()}


def county_of_uscc(uscc: str | None) -> str | None:
    """The reporting unit of the registering office (GB 32100 positions 3–8), if it is one of the city's."""
    if not uscc:
        return None
    return loaders.division_code_map().get(uscc[2:8])


def city_name() -> str:
    """The city's name, from the reference files (or SHOUDAI_CITY_NAME)."""
    return loaders.city().name


def newest_version_id(session: Session, year: int | None = None) -> int | None:
    """The list version in force: the newest, or the newest built for a year ≤ `year`."""
    q = select(ListVersion.id).order_by(ListVersion.year.desc()).limit(1)
    if year is not None:
        q = q.where(ListVersion.year <= year)
    return session.scalar(q)


def list_entries_by_uscc(session: Session, usccs: set[str]) -> dict[str, ListEntry]:
    """The newest list version's entries for these credit codes."""
    version = newest_version_id(session)
    if version is None or not usccs:
        return {}
    out: dict[str, ListEntry] = {}
    codes = sorted(usccs)
    for i in range(0, len(codes), 500):
        # entity_key is the uscc where there is one (migration 0013), so the unique (version_id, entity_key) index serves.
        q = select(ListEntry).where(ListEntry.version_id == version, ListEntry.entity_key.in_(codes[i : i + 500]),
                                    ListEntry.uscc.is_not(None))
        out.update({e.uscc: e for e in session.scalars(q)})
    return out


def list_sizes_by_unit(session: Session, year: int | None = None) -> dict[str, int]:
    """Entries per reporting unit in the list version in force (both lists)."""
    version = newest_version_id(session, year)
    if version is None:
        return {}
    cmap = loaders.division_code_map()
    out: Counter[str] = Counter()
    q = select(ListEntry.county_code, func.count()).where(ListEntry.version_id == version).group_by(
        ListEntry.county_code
    )
    for code, n in session.execute(q):
        out[cmap.get(code, code)] += n
    return dict(out)
