"""A bank's needs queue for the workbench: filtered, paginated, nearest running deadline first, always one bank."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from shoudai.kit.calendar import WorkCalendar, end_of_day, shanghai_date
from shoudai.lending import sla
from shoudai.lending.common import now_utc, utc
from shoudai.lending.models import Need, NeedBank
from shoudai.lending.tracks import to_track

URGENCIES = ("breached", "due_soon", "ok", "idle")
# Same rule as the sweep: a deadline (23:59:59 Shanghai) is missed from the next second on.
GRACE = timedelta(seconds=1)

# The deadline of the clock running in the row's stage (None while the business or the money is awaited).
RUNNING_DUE = case((NeedBank.stage == sla.PUSHED, NeedBank.answer_due_at),
                   (NeedBank.stage == sla.CONDITIONS_MET, NeedBank.accept_due_at),
                   (NeedBank.stage == sla.ACCEPTED, NeedBank.decide_due_at), else_=None)


@dataclass(frozen=True)
class QueueFilter:
    """What the bank narrows its queue to; empty fields mean "any" (an empty stage means every open stage)."""

    stage: str = ""
    urgency: str = ""
    county: str = ""

    def clean(self) -> QueueFilter:
        """Unknown values are dropped rather than refused: a stale bookmark shows the whole queue."""
        return QueueFilter(self.stage if self.stage in sla.STAGES else "",
                           self.urgency if self.urgency in URGENCIES else "",
                           self.county if len(self.county) == 6 and self.county.isdigit() else "")

    def params(self) -> dict[str, str]:
        return {k: v for k, v in (("stage", self.stage), ("urgency", self.urgency), ("county", self.county)) if v}


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue: the track, the business, and where its clock stands at `now`."""

    need_bank_id: int
    ref: str
    name: str
    county_code: str | None
    amount_wan: Decimal
    term_months: int
    stage: str
    pushed_at: datetime
    due_at: datetime | None
    provisional: bool
    urgency: str
    contact_name_enc: str
    contact_phone_enc: str
    shared: bool  # the business's consent still covers this bank (contact details may be shown)


def soon_limit(now: datetime, cal: WorkCalendar) -> datetime:
    """Deadlines up to the end of the next working day are "due soon" (sla.due_soon: warned the working day before)."""
    return end_of_day(cal.add_working_days(shanghai_date(now), 1).day)


def urgency_clause(urgency: str, now: datetime, cal: WorkCalendar) -> ColumnElement[bool]:
    """SQL for one urgency, equal to sla.urgency row by row (tests check the two agree)."""
    missed = now - GRACE
    if urgency == "idle":
        return RUNNING_DUE.is_(None)
    if urgency == "breached":
        return RUNNING_DUE <= missed
    if urgency == "due_soon":
        return and_(RUNNING_DUE > missed, RUNNING_DUE <= soon_limit(now, cal))
    return RUNNING_DUE > soon_limit(now, cal)


def _where(bank_code: str, f: QueueFilter, now: datetime, cal: WorkCalendar) -> list[ColumnElement[bool]]:
    if not bank_code:
        raise ValueError("bank_code is required: a queue always belongs to one bank")
    clauses = [NeedBank.bank_code == bank_code,
               NeedBank.stage == f.stage if f.stage else NeedBank.stage.in_(sla.OPEN)]
    if f.urgency:
        clauses.append(urgency_clause(f.urgency, now, cal))
    if f.county:
        clauses.append(Need.county_code == f.county)
    return clauses


def _stmt(bank_code: str, f: QueueFilter, now: datetime, cal: WorkCalendar):
    return (select(NeedBank, Need).join(Need, Need.id == NeedBank.need_id)
            .where(*_where(bank_code, f, now, cal))
            .order_by(RUNNING_DUE.is_(None), RUNNING_DUE, NeedBank.id))


def _row(nb: NeedBank, need: Need, now: datetime, cal: WorkCalendar) -> QueueRow:
    track = to_track(nb)
    shared = need.consent_withdrawn_at is None
    return QueueRow(nb.id, need.ref, need.name, need.county_code, need.amount_wan, need.term_months, nb.stage,
                    utc(nb.pushed_at), track.deadline.due_at if track.deadline else None,
                    bool(track.deadline and track.deadline.provisional), sla.urgency(track, now, cal),
                    need.contact_name_enc, need.contact_phone_enc, shared)


def page(session: Session, bank_code: str, f: QueueFilter, *, now: datetime | None, cal: WorkCalendar,
         page: int = 1, per_page: int = 50) -> tuple[list[QueueRow], int]:
    """One page of the bank's queue and the number of matching tracks."""
    now = now_utc(now)
    f = f.clean()
    total = session.scalar(select(func.count()).select_from(NeedBank).join(Need, Need.id == NeedBank.need_id)
                           .where(*_where(bank_code, f, now, cal)))
    offset = (max(1, page) - 1) * per_page
    rows = session.execute(_stmt(bank_code, f, now, cal).offset(offset).limit(per_page)).all()
    return [_row(nb, need, now, cal) for nb, need in rows], int(total or 0)


def iter_rows(session: Session, bank_code: str, f: QueueFilter, *, now: datetime | None, cal: WorkCalendar,
              limit: int) -> Iterator[QueueRow]:
    """Every matching row (up to `limit`) in queue order, streamed for the Excel export."""
    now = now_utc(now)
    stmt = _stmt(bank_code, f.clean(), now, cal).limit(limit).execution_options(yield_per=1000)
    for nb, need in session.execute(stmt):
        yield _row(nb, need, now, cal)


def counties(session: Session, bank_code: str) -> list[str]:
    """The counties the bank's open needs come from (the county filter's choices)."""
    stmt = (select(Need.county_code).join(NeedBank, NeedBank.need_id == Need.id)
            .where(NeedBank.bank_code == bank_code, NeedBank.stage.in_(sla.OPEN), Need.county_code.is_not(None))
            .distinct().order_by(Need.county_code))
    return list(session.scalars(stmt))


def remaining(due_at: datetime | None, now: datetime, cal: WorkCalendar) -> tuple[str, int] | None:
    """How much time a clock has left, as people say it: ('working_days', n) before the due day, ('hours', n) on
    it, ('overdue_days', n) calendar days after it; None when no clock runs."""
    if due_at is None:
        return None
    now, due_at = now_utc(now), utc(due_at)
    today, due_day = shanghai_date(now), shanghai_date(due_at)
    if today > due_day:
        return "overdue_days", max(1, (today - due_day).days)
    if today == due_day:
        return "hours", max(1, -(-int((due_at - now).total_seconds()) // 3600))
    return "working_days", cal.working_days_between(today, due_day).days
