"""The 211 compliance page's figures: views.compliance_by_bank ranked, answered on time, and the breaches listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from shoudai.kit.calendar import SHANGHAI
from shoudai.lending import views
from shoudai.lending.common import utc
from shoudai.lending.models import Breach, Need, NeedBank


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in Beijing time (the period the city reports by)."""
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def ranked(session: Session, *, start: datetime, end: datetime, bank_code: str | None = None) -> list[dict]:
    """compliance_by_bank plus `answered_on_time` and `rank` (best on-time rate first, then most needs)."""
    rows = views.compliance_by_bank(session, start=start, end=end, bank_code=bank_code)
    on_time = _answered_on_time(session, start, end, bank_code)
    for r in rows:
        r["answered_on_time"] = on_time.get(r["bank_code"], 0)
    rows.sort(key=lambda r: (-(r["on_time_rate"] or 0), -r["pushed"], r["bank_code"]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return rows


def _answered_on_time(session: Session, start: datetime, end: datetime, bank_code: str | None) -> dict[str, int]:
    # Judged from the stamps, not the breach flag: an answer after the deadline is late even before the sweep ran.
    stmt = (select(NeedBank.bank_code, func.count())
            .where(NeedBank.pushed_at >= utc(start), NeedBank.pushed_at < utc(end),
                   NeedBank.answered_at.is_not(None), NeedBank.answered_at <= NeedBank.answer_due_at)
            .group_by(NeedBank.bank_code))
    if bank_code:
        stmt = stmt.where(NeedBank.bank_code == bank_code)
    return {b: int(n) for b, n in session.execute(stmt)}


@dataclass(frozen=True)
class BreachLine:
    """One recorded breach, with the need it concerns."""

    bank_code: str
    need_bank_id: int
    ref: str
    name: str
    clock: str
    due_at: datetime
    provisional: bool
    detected_at: datetime
    stage: str


def breaches(session: Session, *, start: datetime, end: datetime, bank_code: str | None = None,
             limit: int = 500) -> list[BreachLine]:
    """Breaches of tracks pushed in [start, end) (the same tracks the figures count), oldest deadline first."""
    stmt = (select(Breach, NeedBank.bank_code, NeedBank.stage, Need.ref, Need.name)
            .join(NeedBank, NeedBank.id == Breach.need_bank_id).join(Need, Need.id == NeedBank.need_id)
            .where(and_(NeedBank.pushed_at >= utc(start), NeedBank.pushed_at < utc(end)))
            .order_by(Breach.due_at, Breach.id).limit(limit))
    if bank_code:
        stmt = stmt.where(NeedBank.bank_code == bank_code)
    return [BreachLine(bank, b.need_bank_id, ref, name, b.clock, utc(b.due_at), bool(b.provisional),
                       utc(b.detected_at), stage)
            for b, bank, stage, ref, name in session.execute(stmt)]


def parse_month(text: str, today: date) -> tuple[int, int]:
    """'2026-11' → (2026, 11); anything else → this month."""
    try:
        y, m = (int(p) for p in (text or "").split("-"))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return y, m
    except ValueError:
        pass
    return today.year, today.month
