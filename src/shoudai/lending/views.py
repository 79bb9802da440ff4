"""Read models for the pages and the API: the business's status view, a bank's 211 compliance figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from shoudai.kit.calendar import WorkCalendar
from shoudai.lending import actions, notify, sla
from shoudai.lending.common import loads_list, now_utc, utc
from shoudai.lending.models import Breach, Need, NeedBank
from shoudai.lending.service import tracks_of
from shoudai.lending.tracks import to_track


@dataclass(frozen=True)
class TrackView:
    """One bank's line on the business's status page."""

    need_bank_id: int
    bank_code: str
    bank_name: str
    stage: str
    text: str  # Chinese, for the business
    due_at: datetime | None
    provisional: bool
    urgency: str  # ok | due_soon | breached | idle
    conditions: tuple[str, ...]
    business_actions: tuple[str, ...]  # claim_conditions_met | withdraw


@dataclass(frozen=True)
class NeedView:
    """Everything the business's status page shows."""

    ref: str
    name: str
    status: str
    amount_wan: str
    identity_level: int
    consent_banks: tuple[str, ...]
    consent_withdrawn: bool
    tracks: tuple[TrackView, ...]
    onward: dict


def need_view(session: Session, need: Need, *, now: datetime | None = None, cal: WorkCalendar) -> NeedView:
    """The business's view of its need (Q6): each bank's stage, deadline and urgency, what it can do next."""
    now = now_utc(now)
    lines = []
    for row in tracks_of(session, need):
        track = to_track(row)
        acts = []
        if row.stage == sla.INTENT:
            acts.append("claim_conditions_met")
        if row.stage in sla.OPEN:
            acts.append("withdraw")
        lines.append(TrackView(
            need_bank_id=row.id, bank_code=row.bank_code, bank_name=notify.bank_name(row.bank_code), stage=row.stage,
            text=notify.stage_text(row), due_at=track.deadline.due_at if track.deadline else None,
            provisional=bool(track.deadline and track.deadline.provisional), urgency=sla.urgency(track, now, cal),
            conditions=track.conditions, business_actions=tuple(acts)))
    return NeedView(ref=need.ref, name=need.name, status=need.status, amount_wan=str(need.amount_wan),
                    identity_level=need.identity_level, consent_banks=tuple(loads_list(need.consent_banks)),
                    consent_withdrawn=need.consent_withdrawn_at is not None, tracks=tuple(lines),
                    onward=actions.onward_options(session, need, now=now))


def compliance_by_bank(session: Session, *, start: datetime, end: datetime, bank_code: str | None = None
                       ) -> list[dict]:
    """211 compliance per bank for tracks pushed in [start, end): pushed, answered, breaches per clock, on-time rate."""
    start, end = utc(start), utc(end)
    breaches = (select(Breach.need_bank_id,
                       func.max(case((Breach.clock == sla.ANSWER, 1), else_=0)).label("answer"),
                       func.max(case((Breach.clock == sla.ACCEPT, 1), else_=0)).label("accept"),
                       func.max(case((Breach.clock == sla.DECIDE, 1), else_=0)).label("decide"))
                .group_by(Breach.need_bank_id).subquery())
    stmt = (select(NeedBank.bank_code,
                   func.count().label("pushed"),
                   func.count(NeedBank.answered_at).label("answered"),
                   func.count(NeedBank.accepted_at).label("accepted"),
                   func.sum(case((NeedBank.stage == sla.DISBURSED, 1), else_=0)).label("disbursed"),
                   func.coalesce(func.sum(breaches.c.answer), 0).label("answer_breaches"),
                   func.coalesce(func.sum(breaches.c.accept), 0).label("accept_breaches"),
                   func.coalesce(func.sum(breaches.c.decide), 0).label("decide_breaches"),
                   func.sum(case((breaches.c.need_bank_id.is_(None), 1), else_=0)).label("on_time"))
            .outerjoin(breaches, breaches.c.need_bank_id == NeedBank.id)
            .where(and_(NeedBank.pushed_at >= start, NeedBank.pushed_at < end))
            .group_by(NeedBank.bank_code).order_by(NeedBank.bank_code))
    if bank_code:
        stmt = stmt.where(NeedBank.bank_code == bank_code)
    out = []
    for r in session.execute(stmt):
        row = dict(r._mapping)
        row = {k: (int(v) if k != "bank_code" else v) for k, v in row.items()}
        row["on_time_rate"] = round(row["on_time"] / row["pushed"], 4) if row["pushed"] else None
        out.append(row)
    return out
