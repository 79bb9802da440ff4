"""The annual assessment (T4): configurable indicators and weights, normalised scores, ranks per unit and bank."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shoudai.audit.actor import Actor
from shoudai.oversight.actors import audit, now_utc, require_admin
from shoudai.oversight.bulletin import shanghai_midnight_utc
from shoudai.oversight.errors import OversightError
from shoudai.oversight.figures import competition_rank, pct
from shoudai.oversight.lookups import UNKNOWN_UNIT, bank_names, city_name, list_sizes_by_unit, unit_names
from shoudai.oversight.models import AssessmentIndicator
from shoudai.oversight.money import fen_to_wan, round_half_up
from shoudai.oversight.sla import sla_figures
from shoudai.oversight.summary import aggregate

INDICATORS = {
    "households": "首贷户数",
    "amount": "首贷金额(万元)",
    "conversion": "名单转化率(%)",
    "sla": "“211”按时率(%)",
    "growth": "户数同比增长(%)",
}
METHODS = ("max", "minmax")


@dataclass(frozen=True)
class Indicator:
    code: str
    weight: Decimal
    method: str = "max"  # max: value ÷ best; minmax: (value − worst) ÷ (best − worst)

    @property
    def label(self) -> str:
        return INDICATORS[self.code]


# Seed §三(二) names the things assessed; the split of 100 points is the platform's default, editable per year.
DEFAULT_SCHEME = (
    Indicator("households", Decimal(30)), Indicator("amount", Decimal(30)), Indicator("conversion", Decimal(15)),
    Indicator("sla", Decimal(15)), Indicator("growth", Decimal(10), "minmax"),
)


@dataclass
class Scored:
    code: str
    name: str
    values: dict[str, Decimal | None]
    points: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = Decimal(0)
    rank: int | None = None


def score(items: list[Scored], scheme: tuple[Indicator, ...]) -> tuple[list[Scored], list[str]]:
    """Normalise each indicator, weight it, add up (each part rounded half-up to 0.01) and rank.

    An entity without a value scores 0 on that indicator; an indicator nobody has data for is left out and the
    other weights are scaled up so the full score stays the scheme's total. Returns the items ranked, and notes.
    """
    notes = []
    full = sum(i.weight for i in scheme)
    live = [i for i in scheme if any(it.values.get(i.code) is not None for it in items)]
    dropped = [i for i in scheme if i not in live]
    live_sum = sum(i.weight for i in live)
    scale = full / live_sum if dropped and live_sum else Decimal(1)
    for i in dropped:
        notes.append(f"“{i.label}”本年度无数据，未计分，其权重按比例分摊至其他指标。")
    for ind in live:
        vals = [it.values[ind.code] for it in items if it.values.get(ind.code) is not None]
        hi, lo = max(vals), min(vals)
        for it in items:
            v = it.values.get(ind.code)
            if v is None:
                s = Decimal(0)
            elif ind.method == "minmax":
                s = Decimal(1) if hi == lo else (v - lo) / (hi - lo)
            else:
                s = Decimal(0) if hi <= 0 else max(v, Decimal(0)) / hi
            it.points[ind.code] = round_half_up(s * ind.weight * scale, 2)
    for it in items:
        for ind in dropped:
            it.points[ind.code] = Decimal("0.00")
        it.total = sum(it.points.values(), Decimal("0.00"))
    for it, r in zip(items, competition_rank(items, key=lambda x: (x.total,)), strict=True):
        it.rank = r
    return sorted(items, key=lambda x: (x.rank, x.code)), notes


def scheme(session: Session, year: int) -> tuple[Indicator, ...]:
    """The year's indicators as the city admin set them, or the defaults."""
    rows = session.scalars(select(AssessmentIndicator).where(AssessmentIndicator.year == year)
                           .order_by(AssessmentIndicator.id)).all()
    if not rows:
        return DEFAULT_SCHEME
    return tuple(Indicator(r.code, Decimal(r.weight), r.method) for r in rows)


def set_scheme(session: Session, year: int, indicators: list[Indicator], *, actor: Actor | str,
               now: datetime | None = None) -> tuple[Indicator, ...]:
    """Replace the year's scheme (city admin): known indicators, weights ≥ 0 adding up to more than 0."""
    who, now = require_admin(actor, "设置考核指标和权重"), now_utc(now)
    seen = set()
    for i in indicators:
        if i.code not in INDICATORS:
            raise OversightError(f"未知的考核指标：{i.code}（可选：{'、'.join(INDICATORS)}）")
        if i.code in seen:
            raise OversightError(f"考核指标重复：{i.code}")
        if i.weight < 0 or i.method not in METHODS:
            raise OversightError(f"“{i.label}”的权重不能为负数，计分方法应为{'、'.join(METHODS)}")
        seen.add(i.code)
    if sum(i.weight for i in indicators) <= 0:
        raise OversightError("权重合计必须大于0")
    before = [(i.code, str(i.weight), i.method) for i in scheme(session, year)]
    session.execute(delete(AssessmentIndicator).where(AssessmentIndicator.year == year))
    for i in indicators:
        session.add(AssessmentIndicator(year=year, code=i.code, weight=str(i.weight), method=i.method,
                                        updated_by=who.username, updated_at=now))
    session.flush()
    audit(session, who, "oversight.assessment.scheme", "assessment", year,
          {"before": before, "after": [(i.code, str(i.weight), i.method) for i in indicators]}, at=now)
    return tuple(indicators)


@dataclass
class Assessment:
    city: str
    year: int
    scheme: tuple[Indicator, ...]
    units: list[Scored]
    banks: list[Scored]
    notes: list[str]
    generated_at: datetime

    @property
    def title(self) -> str:
        return f"{self.city}小微企业和个体工商户首贷拓展工作年度考核结果（{self.year}年）"


def _raw(session: Session, year: int) -> dict[str, dict[str, dict[str, int]]]:
    """Per unit and bank: year households, amount (fen), listed households; and last year's households."""
    out: dict[str, dict[str, dict[str, int]]] = {"unit": {}, "bank": {}}
    for offset, tag in ((0, "now"), (1, "prev")):
        y = year - offset
        for county, bank, *v in aggregate(session, f"{y}-12", f"{y}-01"):
            for level, code in (("unit", county or UNKNOWN_UNIT), ("bank", bank)):
                d = out[level].setdefault(code, {})
                if tag == "now":
                    d["hh"] = d.get("hh", 0) + int(v[4] or 0)
                    d["fen"] = d.get("fen", 0) + int(v[5] or 0)
                    d["listed"] = d.get("listed", 0) + int(v[6] or 0)
                else:
                    d["prev"] = d.get("prev", 0) + int(v[4] or 0)
    return out


def compute_assessment(session: Session, year: int, *, now: datetime | None = None) -> Assessment:
    """Score every reporting unit and bank for `year` under the year's scheme."""
    raw = _raw(session, year)
    sizes = list_sizes_by_unit(session, year)
    sla = sla_figures(session, shanghai_midnight_utc(date(year, 1, 1)), shanghai_midnight_utc(date(year + 1, 1, 1)))
    ind = scheme(session, year)
    notes: list[str] = []
    result = {}
    for level, names in (("unit", unit_names()), ("bank", bank_names())):
        items = []
        for code, name in names.items():
            d = raw[level].get(code, {})
            hh, prev = d.get("hh", 0), d.get("prev", 0)
            base = sizes.get(code, 0) if level == "unit" else hh
            fig = (sla.by_unit if level == "unit" else sla.by_bank).get(code) if sla else None
            items.append(Scored(code, name, {
                "households": Decimal(hh),
                "amount": fen_to_wan(d.get("fen", 0)),
                "conversion": pct(d.get("listed", 0), base),
                "sla": fig.in_time_pct if fig else None,
                "growth": pct(hh - prev, prev),
            }))
        result[level], level_notes = score(items, ind)
        notes += [n for n in level_notes if n not in notes]
    notes = [*assessment_notes(ind), *notes]
    return Assessment(city_name(), year, ind, result["unit"], result["bank"], notes, now or datetime.now(UTC))


def assessment_notes(ind: tuple[Indicator, ...]) -> list[str]:
    parts = "、".join(f"{i.label.split('(')[0]}{i.weight}分" for i in ind)
    return [
        f"考核指标及分值：{parts}。",
        ("计分方法：户数、金额、转化率、按时率按“本单位值 ÷ 最高值 × 分值”计分；同比增长按“(本单位值 − 最低值) ÷ "
         "(最高值 − 最低值) × 分值”计分；无数据的单位该项得0分；各项得分四舍五入保留两位小数后相加。"),
        "首贷口径与月度通报一致：同一借款人只计最早发放的一笔首贷；同比增长以上年首贷户数为基数，上年为0的显示“—”。",
    ]
