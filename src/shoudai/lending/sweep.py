"""The deadline sweep (Q5): set-based breach detection, escalation, due-soon warnings, provisional recomputes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import DateTime, bindparam, delete, select, text
from sqlalchemy.orm import Session

from shoudai.kit.calendar import WorkCalendar, shanghai_date
from shoudai.lending import notify, sla
from shoudai.lending.actions import NEXT_STEPS_TEXT
from shoudai.lending.common import Actorish, now_utc, record_event, utc
from shoudai.lending.models import Breach, Need, NeedBank
from shoudai.lending.tracks import DUE_COLUMNS, deadline_of, to_track, write_track
from shoudai.reference.calendar_store import load_calendar

# A deadline is the end (23:59:59 Shanghai) of its day, and missed from the next second on (Deadline.missed_by).
GRACE = timedelta(seconds=1)
# No holiday break is longer than this, so a due-soon warning day always falls within it before the due day.
WARN_LOOKAHEAD = timedelta(days=14)

_PG = """
WITH hit AS (
  UPDATE need_bank SET {flag} = TRUE, updated_at = :now
  WHERE stage = '{stage}' AND NOT {flag} AND {due} <= :horizon
  RETURNING id, {due} AS due_at, {prov} AS provisional)
INSERT INTO breach (need_bank_id, clock, due_at, provisional, detected_at)
SELECT id, '{clock}', due_at, provisional, :now FROM hit
ON CONFLICT (need_bank_id, clock) DO NOTHING
"""
# SQLite has no data-modifying CTE: the same two steps run inside the caller's transaction instead.
_SQLITE = (
    """INSERT INTO breach (need_bank_id, clock, due_at, provisional, detected_at)
       SELECT id, '{clock}', {due}, {prov}, :now FROM need_bank
       WHERE stage = '{stage}' AND NOT {flag} AND {due} <= :horizon
       ON CONFLICT (need_bank_id, clock) DO NOTHING""",
    """UPDATE need_bank SET {flag} = TRUE, updated_at = :now
       WHERE stage = '{stage}' AND NOT {flag} AND {due} <= :horizon""",
)


@dataclass
class SweepReport:
    """What one sweep found and did."""

    breaches: dict[str, int] = field(default_factory=dict)
    notified: int = 0
    warned: int = 0
    recomputed: int = 0


def _sql(template: str, clock: str) -> str:
    due, prov = DUE_COLUMNS[clock]
    # Only constants from this module are formatted in; values travel as bound parameters.
    return template.format(flag=f"{clock}_breached", stage=sla.STAGE_OF_CLOCK[clock], due=due, prov=prov, clock=clock)


def sweep(session: Session, *, now: datetime) -> dict[str, int]:
    """Record every clock that ran out by `now`: one set-based statement per clock (two on SQLite)."""
    now = now_utc(now)
    params = [bindparam("now", now, type_=DateTime(timezone=True)),
              bindparam("horizon", now - GRACE, type_=DateTime(timezone=True))]
    found: dict[str, int] = {}
    session.flush()  # pending ORM changes first: the statements below bypass the identity map
    postgres = session.get_bind().dialect.name == "postgresql"
    for clock in sla.CLOCKS:
        if postgres:
            found[clock] = session.execute(text(_sql(_PG, clock)).bindparams(*params)).rowcount
        else:
            insert, update = (text(_sql(t, clock)).bindparams(*params) for t in _SQLITE)
            found[clock] = session.execute(insert).rowcount
            session.execute(update)
    session.expire_all()  # loaded tracks must not keep showing the flags from before the sweep
    return found


def notify_breaches(session: Session, *, now: datetime, actor: Actorish, limit: int = 1000) -> int:
    """Escalate new breaches: webhook to the bank, SMS with the onward options to the business, a timeline entry."""
    now = now_utc(now)
    rows = session.execute(
        select(Breach, NeedBank, Need).join(NeedBank, NeedBank.id == Breach.need_bank_id)
        .join(Need, Need.id == NeedBank.need_id).where(Breach.notified_at.is_(None))
        .order_by(Breach.id).limit(limit)).all()
    for breach, row, need in rows:
        due = notify.shanghai_text(breach.due_at)
        notify.webhook(session, need, row, topic="sla.breach", actor=actor, now=now, clock=breach.clock,
                       due_at=utc(breach.due_at).isoformat(), provisional=breach.provisional)
        record_event(session, need_id=need.id, need_bank_id=row.id, kind="breach", actor=actor, at=now, audited=False,
                     clock=breach.clock, due_at=utc(breach.due_at).isoformat())
        notify.sms(session, need, f"{notify.bank_name(row.bank_code)}未在时限（{due}）内办理您的需求 {need.ref}，"
                                  f"已记录并通报。{NEXT_STEPS_TEXT}", topic="sms.breach", actor=actor, now=now)
        breach.notified_at = now
    session.flush()
    return len(rows)


def warn_due_soon(session: Session, *, now: datetime, actor: Actorish, cal: WorkCalendar) -> int:
    """From the working day before a deadline, warn the bank once per clock (webhook sla.due_soon)."""
    now = now_utc(now)
    today = shanghai_date(now)
    warned = 0
    for clock in sla.CLOCKS:
        due_col = getattr(NeedBank, DUE_COLUMNS[clock][0])
        flag = getattr(NeedBank, f"{clock}_breached")
        candidates = session.scalars(
            select(NeedBank).where(NeedBank.stage == sla.STAGE_OF_CLOCK[clock], flag.is_(False),
                                   due_col > now - GRACE, due_col <= now + WARN_LOOKAHEAD,
                                   (NeedBank.warned_clock.is_(None)) | (NeedBank.warned_clock != clock)))
        for row in candidates:
            deadline = deadline_of(row, clock)
            if today < sla.warn_day(deadline, cal):
                continue
            need = session.get(Need, row.need_id)
            notify.webhook(session, need, row, topic="sla.due_soon", actor=actor, now=now, clock=clock,
                           due_at=utc(deadline.due_at).isoformat())
            row.warned_clock = clock
            warned += 1
    session.flush()
    return warned


def recompute_provisional(session: Session, *, now: datetime, actor: Actorish, cal: WorkCalendar) -> int:
    """After a year's arrangement is imported: recompute running provisional deadlines; undo breaches they disprove."""
    now = now_utc(now)
    changed = 0
    for clock in sla.CLOCKS:
        prov_col = DUE_COLUMNS[clock][1]
        rows = session.scalars(select(NeedBank).where(NeedBank.stage == sla.STAGE_OF_CLOCK[clock],
                                                      getattr(NeedBank, prov_col).is_(True)))
        for row in rows:
            old = deadline_of(row, clock)
            track = sla.recompute(to_track(row), cal)
            if (track.deadline.due_at, track.deadline.provisional) == (old.due_at, old.provisional):
                continue  # still unknown, still the same guess
            write_track(row, track, now)
            if getattr(row, f"{clock}_breached") and not track.deadline.missed_by(now):
                session.execute(delete(Breach).where(Breach.need_bank_id == row.id, Breach.clock == clock))
                setattr(row, f"{clock}_breached", False)
            row.warned_clock = None
            record_event(session, need_id=row.need_id, need_bank_id=row.id, kind="deadline_recomputed", actor=actor,
                         at=now, audited=False, clock=clock, old_due_at=old.due_at.isoformat(),
                         new_due_at=utc(track.deadline.due_at).isoformat(), provisional=track.deadline.provisional)
            changed += 1
    session.flush()
    return changed


def run_sweep(session: Session, *, now: datetime | None = None, actor: Actorish,
              cal: WorkCalendar | None = None) -> SweepReport:
    """Everything the periodic job does, in order: recompute, detect, escalate, warn."""
    now = now_utc(now)
    cal = cal or load_calendar(session)
    report = SweepReport()
    report.recomputed = recompute_provisional(session, now=now, actor=actor, cal=cal)
    report.breaches = sweep(session, now=now)
    report.notified = notify_breaches(session, now=now, actor=actor)
    report.warned = warn_due_soon(session, now=now, actor=actor, cal=cal)
    return report
