"""The 211 figures the bulletin needs, read from the lending tables; None (shown 无数据) where there are none."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from shoudai.oversight.figures import median, pct
from shoudai.oversight.money import round_half_up
from shoudai.reference.loaders import division_code_map


@dataclass(frozen=True)
class SlaFigure:
    """Tracks whose answer clock has run, how many kept every 211 clock, and the median hours to an answer."""

    due: int
    in_time: int
    median_hours: Decimal | None

    @property
    def in_time_pct(self) -> Decimal | None:
        return pct(self.in_time, self.due)


@dataclass(frozen=True)
class SlaFigures:
    by_bank: dict[str, SlaFigure]
    by_unit: dict[str, SlaFigure]
    city: SlaFigure | None


def _aware(at: datetime | None) -> datetime | None:
    return None if at is None else (at.replace(tzinfo=UTC) if at.tzinfo is None else at)


def sla_figures(session: Session, start: datetime, end: datetime) -> SlaFigures | None:
    """211 figures of the needs pushed to banks in [start, end); None when the lending tables do not exist.

    A track counts once its answer is given, breached or due before `end`; it is in time when the answer came by its
    deadline and none of its three clocks (answer, accept, decide) was breached.
    """
    tables = set(inspect(session.get_bind()).get_table_names())
    if not {"need", "need_bank"} <= tables:
        return None
    from shoudai.lending.models import Need, NeedBank

    q = (select(NeedBank.bank_code, Need.county_code, NeedBank.pushed_at, NeedBank.answer_due_at,
                NeedBank.answered_at, NeedBank.answer_breached, NeedBank.accept_breached, NeedBank.decide_breached)
         .join(Need, Need.id == NeedBank.need_id)
         .where(NeedBank.pushed_at >= start, NeedBank.pushed_at < end))
    cmap = division_code_map()
    groups: dict[tuple[str, str], list[tuple[bool, float | None]]] = defaultdict(list)
    for bank, county, pushed, due, answered, b1, b2, b3 in session.execute(q):
        pushed, due, answered = _aware(pushed), _aware(due), _aware(answered)
        if answered is None and not b1 and (due is None or due >= _aware(end)):
            continue  # still running: neither in time nor late yet
        ok = answered is not None and due is not None and answered <= due and not (b1 or b2 or b3)
        hours = (answered - pushed).total_seconds() / 3600 if answered is not None else None
        unit = cmap.get(county or "", county or "")
        for key in (("bank", bank), ("unit", unit), ("city", "")):
            groups[key].append((ok, hours))

    def fig(items: list[tuple[bool, float | None]]) -> SlaFigure:
        hours = [h for _, h in items if h is not None]
        med = median(hours)
        return SlaFigure(len(items), sum(ok for ok, _ in items),
                         None if med is None else round_half_up(med, 1))

    return SlaFigures(
        {k[1]: fig(v) for k, v in groups.items() if k[0] == "bank"},
        {k[1]: fig(v) for k, v in groups.items() if k[0] == "unit"},
        fig(groups[("city", "")]) if ("city", "") in groups else None,
    )
