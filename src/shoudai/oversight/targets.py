"""Programmes and yearly targets (T1): the city's goal split over years, reporting units and banks; progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shoudai.audit.actor import Actor
from shoudai.oversight.actors import audit, now_utc, require_admin
from shoudai.oversight.errors import OversightError
from shoudai.oversight.figures import pct
from shoudai.oversight.lookups import bank_names, list_sizes_by_unit, unit_names
from shoudai.oversight.models import FirstLoan, Programme, Target
from shoudai.oversight.money import FEN_PER_WAN, largest_remainder

DEFAULT_NAME = "小微企业和个体工商户首次贷款拓展专项行动（2022—2025年）"
DEFAULT_START, DEFAULT_END = date(2022, 12, 1), date(2025, 12, 31)
DEFAULT_HOUSEHOLDS = 20_000
DEFAULT_AMOUNT_FEN = 200 * 10_000 * FEN_PER_WAN  # 200 亿元 = 2,000,000 万元
LEVELS = ("city", "unit", "bank")


def months_by_year(start: date, end: date) -> dict[int, int]:
    """How many calendar months of [start, end] fall in each year (a started month counts)."""
    out: dict[int, int] = {}
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out[y] = out.get(y, 0) + 1
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def split_over_years(start: date, end: date, households: int, amount_fen: int) -> dict[int, tuple[int, int]]:
    """The programme's goals per year in proportion to its months in each year (amounts in whole 万元)."""
    months = months_by_year(start, end)
    hh = largest_remainder(households, {str(y): n for y, n in months.items()})
    wan = largest_remainder(amount_fen // FEN_PER_WAN, {str(y): n for y, n in months.items()})
    return {y: (hh[str(y)], wan[str(y)] * FEN_PER_WAN) for y in months}


def decompose(households: int, amount_fen: int, weights: dict[str, int]) -> dict[str, tuple[int, int]]:
    """A target split by weights (list sizes); households and whole 万元 each add up exactly."""
    hh = largest_remainder(households, weights)
    wan = largest_remainder(amount_fen // FEN_PER_WAN, weights)
    return {k: (hh[k], wan[k] * FEN_PER_WAN) for k in weights}


def ensure_default_programme(session: Session, *, actor: Actor | str, now: datetime | None = None) -> Programme:
    """The seed's programme (2022-12-01 to 2025-12-31, 20,000 households, 200 亿元), created once."""
    existing = session.scalar(select(Programme).order_by(Programme.id).limit(1))
    if existing is not None:
        return existing
    return create_programme(session, name=DEFAULT_NAME, starts_on=DEFAULT_START, ends_on=DEFAULT_END,
                            households=DEFAULT_HOUSEHOLDS, amount_fen=DEFAULT_AMOUNT_FEN, actor=actor, now=now)


def create_programme(session: Session, *, name: str, starts_on: date, ends_on: date, households: int,
                     amount_fen: int, actor: Actor | str, now: datetime | None = None) -> Programme:
    """A new programme (city admin); its yearly city targets follow its months until edited."""
    who, now = require_admin(actor, "设立首贷专项行动"), now_utc(now)
    _check_programme(starts_on, ends_on, households, amount_fen)
    p = Programme(name=name, starts_on=starts_on, ends_on=ends_on, households_target=households,
                  amount_target_fen=amount_fen, updated_by=who.username, updated_at=now)
    session.add(p)
    session.flush()
    for year, (hh, fen) in split_over_years(starts_on, ends_on, households, amount_fen).items():
        session.add(Target(programme_id=p.id, year=year, level="city", code="", households=hh, amount_fen=fen,
                           basis="computed", weight=None, updated_by=who.username, updated_at=now))
    session.flush()
    audit(session, who, "oversight.programme.created", "programme", p.id,
          {"name": name, "households": households, "amount_fen": amount_fen}, at=now)
    return p


def update_programme(session: Session, programme_id: int, *, actor: Actor | str, now: datetime | None = None,
                     **changes: object) -> Programme:
    """Edit a programme's name, dates or goals (city admin); computed yearly city targets are re-split."""
    who, now = require_admin(actor, "修改首贷专项行动"), now_utc(now)
    p = _programme(session, programme_id)
    before = {k: str(getattr(p, k)) for k in changes}
    for key, new in changes.items():
        if key not in ("name", "starts_on", "ends_on", "households_target", "amount_target_fen"):
            raise OversightError(f"不能修改的字段：{key}")
        setattr(p, key, new)
    _check_programme(p.starts_on, p.ends_on, p.households_target, p.amount_target_fen)
    p.updated_by, p.updated_at = who.username, now
    split = split_over_years(p.starts_on, p.ends_on, p.households_target, p.amount_target_fen)
    city = {t.year: t for t in session.scalars(select(Target).where(Target.programme_id == p.id,
                                                                    Target.level == "city"))}
    for year, (hh, fen) in split.items():
        t = city.get(year)
        if t is None:
            session.add(Target(programme_id=p.id, year=year, level="city", code="", households=hh, amount_fen=fen,
                               basis="computed", weight=None, updated_by=who.username, updated_at=now))
        elif t.basis == "computed":
            t.households, t.amount_fen, t.updated_by, t.updated_at = hh, fen, who.username, now
    session.flush()
    audit(session, who, "oversight.programme.updated", "programme", p.id,
          {"before": before, "after": {k: str(v) for k, v in changes.items()}}, at=now)
    return p


def _check_programme(starts_on: date, ends_on: date, households: int, amount_fen: int) -> None:
    if ends_on < starts_on:
        raise OversightError("结束日期不能早于开始日期")
    if households <= 0 or amount_fen <= 0:
        raise OversightError("目标户数和金额必须大于0")


def _programme(session: Session, programme_id: int) -> Programme:
    p = session.get(Programme, programme_id)
    if p is None:
        raise OversightError(f"没有这个专项行动：{programme_id}")
    return p


def programme_for(session: Session, day: date) -> Programme | None:
    """The programme running on `day` (the latest-starting one if several)."""
    q = (select(Programme).where(Programme.starts_on <= day, Programme.ends_on >= day)
         .order_by(Programme.starts_on.desc(), Programme.id.desc()).limit(1))
    return session.scalar(q)


def compute_targets(session: Session, programme_id: int, year: int, *, actor: Actor | str,
                    bank_weights: dict[str, int] | None = None, now: datetime | None = None) -> list[Target]:
    """Split the year's city target to reporting units by list size, and to banks by `bank_weights`.

    Bank weights default to each bank's first-loan households of the previous year (its demonstrated share of the
    work), and to equal shares where there is no history. Targets edited by hand are kept.
    """
    who, now = require_admin(actor, "分解年度目标"), now_utc(now)
    p = _programme(session, programme_id)
    city = _target(session, p.id, year, "city", "")
    if city is None:
        raise OversightError(f"{year}年不在专项行动期内")
    sizes = list_sizes_by_unit(session, year)
    if not sizes:
        raise OversightError(f"尚无{year}年适用的无贷户名单，无法按名单户数分解目标；请先生成名单，或逐项手工设定目标")
    unit_weights = {code: sizes.get(code, 0) for code in unit_names()}
    if bank_weights is None:
        bank_weights = _previous_year_households(session, year)
    bank_weights = {code: bank_weights.get(code, 0) for code in bank_names()}
    out = []
    for level, weights in (("unit", unit_weights), ("bank", bank_weights)):
        for code, (hh, fen) in decompose(city.households, city.amount_fen, weights).items():
            out.append(_upsert(session, p.id, year, level, code, hh, fen, weights[code], who.username, now))
    session.flush()
    audit(session, who, "oversight.targets.computed", "programme", p.id, {"year": year}, at=now)
    return out


def _previous_year_households(session: Session, year: int) -> dict[str, int]:
    q = (select(FirstLoan.bank_code, func.count()).where(FirstLoan.verdict == "first",
                                                          FirstLoan.period.between(f"{year - 1}-01", f"{year - 1}-12"))
         .group_by(FirstLoan.bank_code))
    return dict(session.execute(q).all())


def _target(session: Session, programme_id: int, year: int, level: str, code: str) -> Target | None:
    return session.scalar(select(Target).where(Target.programme_id == programme_id, Target.year == year,
                                               Target.level == level, Target.code == code))


def _upsert(session, programme_id, year, level, code, hh, fen, weight, who, now) -> Target:
    t = _target(session, programme_id, year, level, code)
    if t is None:
        t = Target(programme_id=programme_id, year=year, level=level, code=code, households=hh, amount_fen=fen,
                   basis="computed", weight=weight, updated_by=who, updated_at=now)
        session.add(t)
    elif t.basis == "computed":
        t.households, t.amount_fen, t.weight, t.updated_by, t.updated_at = hh, fen, weight, who, now
    return t


def set_target(session: Session, programme_id: int, year: int, level: str, code: str, *, households: int,
               amount_fen: int, actor: Actor | str, now: datetime | None = None) -> Target:
    """The city admin's own figure for one target; it is kept when targets are recomputed."""
    who, now = require_admin(actor, "修改年度目标"), now_utc(now)
    if level not in LEVELS:
        raise OversightError(f"目标层级应为{'、'.join(LEVELS)}")
    if households < 0 or amount_fen < 0:
        raise OversightError("目标不能为负数")
    _programme(session, programme_id)
    t = _target(session, programme_id, year, level, code)
    before = None if t is None else {"households": t.households, "amount_fen": t.amount_fen}
    if t is None:
        t = Target(programme_id=programme_id, year=year, level=level, code=code, weight=None)
        session.add(t)
    t.households, t.amount_fen, t.basis, t.updated_by, t.updated_at = households, amount_fen, "edited", who.username, now
    session.flush()
    audit(session, who, "oversight.target.edited", "target", t.id,
          {"year": year, "level": level, "code": code, "before": before,
           "after": {"households": households, "amount_fen": amount_fen}}, at=now)
    return t


def targets(session: Session, programme_id: int, year: int, level: str) -> dict[str, Target]:
    """Code → target of one level and year."""
    q = select(Target).where(Target.programme_id == programme_id, Target.year == year, Target.level == level)
    return {t.code: t for t in session.scalars(q)}


@dataclass(frozen=True)
class Progress:
    code: str
    name: str
    target_households: int | None
    target_amount_fen: int | None
    households: int
    amount_fen: int

    @property
    def households_pct(self) -> Decimal | None:
        return pct(self.households, self.target_households)

    @property
    def amount_pct(self) -> Decimal | None:
        return pct(self.amount_fen, self.target_amount_fen)


def progress(session: Session, programme_id: int, year: int, level: str, *, through: str | None = None) -> list[Progress]:
    """Each target of a level against first loans of the year (through month `through`, YYYY-MM, if given)."""
    tg = targets(session, programme_id, year, level)
    col = {"city": None, "unit": FirstLoan.county_code, "bank": FirstLoan.bank_code}[level]
    last = through or f"{year}-12"
    cols = [func.count(), func.coalesce(func.sum(FirstLoan.amount_fen), 0)]
    q = select(*(([col] if col is not None else []) + cols)).where(
        FirstLoan.verdict == "first", FirstLoan.period.between(f"{year}-01", last))
    if col is not None:
        q = q.group_by(col)
    actual = {("" if col is None else r[0]): (int(r[-2]), int(r[-1])) for r in session.execute(q)}
    names = {"city": {"": "全市"}, "unit": unit_names(), "bank": bank_names()}[level]
    codes = list(names) + [c for c in list(tg) + list(actual) if c not in names and c is not None]
    return [Progress(c, names.get(c, c), tg[c].households if c in tg else None,
                     tg[c].amount_fen if c in tg else None, *actual.get(c, (0, 0))) for c in dict.fromkeys(codes)]
