"""The monthly bulletin's figures (T3), per reporting unit and per bank, from one set-based pass over the loans."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from shoudai.kit.calendar import SHANGHAI
from shoudai.oversight.figures import competition_rank, pct
from shoudai.oversight.lookups import (
    UNKNOWN_UNIT,
    UNKNOWN_UNIT_NAME,
    bank_names,
    city_name,
    list_sizes_by_unit,
    unit_names,
)
from shoudai.oversight.models import FirstLoan, Programme
from shoudai.oversight.money import wan_text
from shoudai.oversight.reports.service import period_of
from shoudai.oversight.sla import SlaFigure, sla_figures
from shoudai.oversight.summary import aggregate
from shoudai.oversight.targets import programme_for, targets


@dataclass
class Line:
    """One row of a bulletin table (a reporting unit, a bank, or the total)."""

    code: str
    name: str
    month_households: int = 0
    month_amount_fen: int = 0
    ytd_households: int = 0
    ytd_amount_fen: int = 0
    cum_households: int = 0
    cum_amount_fen: int = 0
    target_households: int | None = None
    target_amount_fen: int | None = None
    listed_households: int = 0  # cumulative first loans converted from the lists
    list_size: int | None = None  # units only: entries of the list version in force
    sla: SlaFigure | None = None
    rank: int | None = None

    @property
    def households_completion(self) -> Decimal | None:
        return pct(self.ytd_households, self.target_households)

    @property
    def amount_completion(self) -> Decimal | None:
        return pct(self.ytd_amount_fen, self.target_amount_fen)

    @property
    def conversion_rate(self) -> Decimal | None:
        """Units: converted entries / list size. Banks: share of its first-loan households that came off the lists."""
        return pct(self.listed_households, self.list_size if self.list_size is not None else self.cum_households)

    def add(self, other: Line) -> None:
        for f in ("month_households", "month_amount_fen", "ytd_households", "ytd_amount_fen", "cum_households",
                  "cum_amount_fen", "listed_households"):
            setattr(self, f, getattr(self, f) + getattr(other, f))


@dataclass
class Bulletin:
    city: str
    period: str  # YYYY-MM
    programme: Programme | None
    units: list[Line]
    banks: list[Line]
    unit_total: Line
    bank_total: Line
    sla_available: bool
    generated_at: datetime
    notes: list[str] = field(default_factory=list)

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def month(self) -> int:
        return int(self.period[5:])

    @property
    def title(self) -> str:
        return f"{self.city}小微企业和个体工商户首贷拓展工作通报（{self.year}年{self.month}月）"

    @property
    def summary(self) -> str:
        """The opening sentence an official would write above the tables."""
        t = self.bank_total
        text = (f"{self.year}年{self.month}月，全市新增首贷{t.month_households:,}户、{wan_text(t.month_amount_fen)}万元；"
                f"本年累计{t.ytd_households:,}户、{wan_text(t.ytd_amount_fen)}万元")
        if t.households_completion is not None:
            text += f"，完成年度户数目标的{t.households_completion}%"
        text += f"；专项行动以来累计{t.cum_households:,}户、{wan_text(t.cum_amount_fen)}万元"
        if self.programme is not None:
            p = self.programme
            text += (f"，分别完成总目标（{p.households_target:,}户、{wan_text(p.amount_target_fen)}万元）的"
                     f"{pct(t.cum_households, p.households_target)}%和{pct(t.cum_amount_fen, p.amount_target_fen)}%")
        return text + "。"


def month_bounds(period: str) -> tuple[date, date]:
    """First day of the month and first day of the next."""
    y, m = int(period[:4]), int(period[5:])
    return date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)


def aggregate_loans(session: Session, period: str, first_period: str) -> list[tuple]:
    """The same figures as summary.aggregate, straight from the loans in one pass (the reference the summary is
    checked against, and the fallback for a database whose summary has not been built)."""
    year_start = f"{period[:4]}-01"
    in_month = FirstLoan.period == period
    in_year = FirstLoan.period >= year_start
    listed = FirstLoan.list_entry_id.is_not(None)

    def count_if(cond):
        return func.sum(case((cond, 1), else_=0))

    def sum_if(cond):
        return func.sum(case((cond, FirstLoan.amount_fen), else_=0))

    q = (select(FirstLoan.county_code, FirstLoan.bank_code, count_if(in_month), sum_if(in_month), count_if(in_year),
                sum_if(in_year), func.count(), func.sum(FirstLoan.amount_fen), count_if(listed))
         .where(FirstLoan.verdict == "first", FirstLoan.period >= first_period, FirstLoan.period <= period)
         .group_by(FirstLoan.county_code, FirstLoan.bank_code))
    return [tuple(r) for r in session.execute(q)]


def compute_bulletin(session: Session, period: str, *, now: datetime | None = None,
                     programme: Programme | None = None, from_loans: bool = False) -> Bulletin:
    """Every figure of the month's bulletin; the programme is the one running in that month unless given.

    Figures come from the monthly summary table, or with `from_loans` straight from the loans (same numbers).
    """
    period = period_of(period)
    start, end = month_bounds(period)
    programme = programme or programme_for(session, end - timedelta(days=1)) or programme_for(session, start)
    first_period = programme.starts_on.strftime("%Y-%m") if programme else "0000-01"
    units = {c: Line(c, n) for c, n in unit_names().items()}
    banks = {c: Line(c, n) for c, n in bank_names().items()}
    rows = (aggregate_loans if from_loans else aggregate)(session, period, first_period)
    for county, bank, *vals in rows:
        part = Line("", "", *(int(v or 0) for v in vals[:6]), listed_households=int(vals[6] or 0))
        unit = units.setdefault(county or UNKNOWN_UNIT, Line(county or UNKNOWN_UNIT, UNKNOWN_UNIT_NAME))
        unit.add(part)
        banks.setdefault(bank, Line(bank, bank)).add(part)
    year = int(period[:4])
    sizes = list_sizes_by_unit(session, year)
    for code, line in units.items():
        line.list_size = sizes.get(code, 0) if code != UNKNOWN_UNIT else None
    if programme is not None:
        for level, lines in (("unit", units), ("bank", banks)):
            for code, t in targets(session, programme.id, year, level).items():
                if code in lines:
                    lines[code].target_households, lines[code].target_amount_fen = t.households, t.amount_fen
    # 211 clocks are read for the bulletin month (Shanghai dates), from the lending tables where they exist
    sla = sla_figures(session, shanghai_midnight_utc(start), shanghai_midnight_utc(end))
    if sla is not None:
        for code, line in units.items():
            line.sla = sla.by_unit.get(code)
        for code, line in banks.items():
            line.sla = sla.by_bank.get(code)
    unit_rows = _ranked([u for c, u in units.items() if c != UNKNOWN_UNIT])
    if units.get(UNKNOWN_UNIT) and units[UNKNOWN_UNIT].cum_households:
        unit_rows.append(units[UNKNOWN_UNIT])
    bank_rows = _ranked(list(banks.values()))
    unit_total = _total(unit_rows, programme, session, year, "unit", sla.city if sla else None)
    unit_total.list_size = sum(sizes.values()) if sizes else 0
    bank_total = _total(bank_rows, programme, session, year, "bank", sla.city if sla else None)
    return Bulletin(city_name(), period, programme, unit_rows, bank_rows, unit_total, bank_total, sla is not None,
                    (now or datetime.now(UTC)), notes=bulletin_notes(programme))


def shanghai_midnight_utc(day: date) -> datetime:
    """The start of a Shanghai calendar day as UTC (the 211 clocks are stored in UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def rank_key(line: Line) -> tuple:
    """Ranked by completion of the year's household target, then year-to-date households, then amount."""
    completion = line.households_completion
    return (completion if completion is not None else Decimal(-1), line.ytd_households, line.ytd_amount_fen)


def _ranked(lines: list[Line]) -> list[Line]:
    for line, r in zip(lines, competition_rank(lines, rank_key), strict=True):
        line.rank = r
    return sorted(lines, key=lambda ln: (ln.rank, ln.code))


def _total(lines: list[Line], programme, session, year, level, city_sla) -> Line:
    total = Line("", "合计")
    for line in lines:
        total.add(line)
    if programme is not None:
        city = targets(session, programme.id, year, "city").get("")
        if city is not None:
            total.target_households, total.target_amount_fen = city.households, city.amount_fen
    total.sla = city_sla
    return replace(total)


def bulletin_notes(programme: Programme | None) -> list[str]:
    """How each figure is defined, printed on the notes sheet and under the PDF tables."""
    span = (f"{programme.name}（{programme.starts_on:%Y年%-m月%-d日}至{programme.ends_on:%Y年%-m月%-d日}）"
            if programme else "未设立专项行动")
    return [
        f"统计口径：{span}期间各银行报送并经平台核验计为首贷的贷款；同一借款人只计最早发放的一笔首贷。",
        "当月、本年、累计分别按发放日期所在月份统计；金额单位为万元，户数单位为户。",
        "目标完成率 = 本年累计 ÷ 本年目标；目标按两张名单户数分解至各县（市、区），由市级管理员确认或调整。",
        "县区名单转化率 = 累计名单内转化户数 ÷ 当年名单户数；银行名单转化率 = 累计名单内首贷户数 ÷ 该行累计首贷户数。",
        ("“211”按时率：本月推送且答复时限已到的需求中，按时答复且受理、审批均未超时的占比；答复用时为推送至答复的小时数中位数。"
         "无对接数据的显示“无数据”。"),
        "排名依据：本年户数目标完成率，其次本年累计户数、金额；未设目标的按本年累计户数排名。",
    ]
