"""Between need_bank rows and the pure sla.Track: read a row as a track, write a track back to its row."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from shoudai.kit.calendar import Deadline, WorkCalendar, shanghai_date
from shoudai.lending import sla
from shoudai.lending.common import dumps, loads_list, utc
from shoudai.lending.models import NeedBank

DUE_COLUMNS = {sla.ANSWER: ("answer_due_at", "answer_due_provisional"),
               sla.ACCEPT: ("accept_due_at", "accept_due_provisional"),
               sla.DECIDE: ("decide_due_at", "decide_due_provisional")}
START_COLUMNS = {sla.ANSWER: "pushed_at", sla.ACCEPT: "conditions_met_at", sla.DECIDE: "accepted_at"}


def _opt(at: datetime | None) -> datetime | None:
    return None if at is None else utc(at)


def deadline_of(row: NeedBank, clock: str) -> Deadline | None:
    """The stored deadline of one clock (due day in Shanghai; unknown years are not stored, only the flag)."""
    due_col, prov_col = DUE_COLUMNS[clock]
    due = getattr(row, due_col)
    if due is None:
        return None
    due = utc(due)
    return Deadline(due, shanghai_date(due), bool(getattr(row, prov_col)), ())


def to_track(row: NeedBank) -> sla.Track:
    """The pure view of a row."""
    clock = sla.CLOCK_OF_STAGE.get(row.stage)
    return sla.Track(
        stage=row.stage, pushed_at=utc(row.pushed_at), clock=clock,
        clock_started_at=_opt(getattr(row, START_COLUMNS[clock])) if clock else None,
        deadline=deadline_of(row, clock) if clock else None,
        conditions=tuple(loads_list(row.conditions)),
        answered_at=_opt(row.answered_at), conditions_met_at=_opt(row.conditions_met_at),
        accepted_at=_opt(row.accepted_at), decided_at=_opt(row.decided_at), closed_at=_opt(row.closed_at),
        decline_reason=row.decline_reason, decline_stage=row.decline_stage,
        disbursed_amount=row.disbursed_amount_wan, disbursed_on=row.disbursed_on, contract_no=row.contract_no,
    )


def write_track(row: NeedBank, track: sla.Track, at: datetime) -> None:
    """Copy a track's new state onto its row; a newly started clock gets its due columns."""
    row.stage = track.stage
    declined_at_once = track.stage == sla.DECLINED and track.decline_stage == sla.PUSHED
    row.conditions = dumps(list(track.conditions)) if track.answered_at and not declined_at_once else None
    row.answered_at, row.conditions_met_at = track.answered_at, track.conditions_met_at
    row.accepted_at, row.decided_at, row.closed_at = track.accepted_at, track.decided_at, track.closed_at
    row.decline_reason, row.decline_stage = track.decline_reason, track.decline_stage
    row.disbursed_amount_wan, row.disbursed_on, row.contract_no = (track.disbursed_amount, track.disbursed_on,
                                                                   track.contract_no)
    if track.clock is not None and track.deadline is not None:
        due_col, prov_col = DUE_COLUMNS[track.clock]
        setattr(row, due_col, utc(track.deadline.due_at))
        setattr(row, prov_col, track.deadline.provisional)
    row.updated_at = utc(at)


def new_row(need_id: int, bank_code: str, *, at: datetime, cal: WorkCalendar, routed_by: str,
            rerouted_from_id: int | None = None) -> NeedBank:
    """A pushed track for one bank, its answer clock running."""
    track = sla.push(at, cal)
    row = NeedBank(need_id=need_id, bank_code=bank_code, routed_by=routed_by, rerouted_from_id=rerouted_from_id,
                   pushed_at=utc(at), answer_breached=False, accept_breached=False, decide_breached=False)
    write_track(row, track, at)
    return row


# A new track's column values before anything sets them: each column's scalar Python default, else NULL.
COLUMN_DEFAULTS = {c.key: c.default.arg if c.default is not None and c.default.is_scalar else None
                   for c in NeedBank.__table__.c}


class PlainTrack(SimpleNamespace):
    """A new need_bank row as a plain object with every column as an attribute (id None until inserted): for a
    caller that inserts the rows itself and only reads them back. Building NeedBank ORM objects instead was about a
    tenth of a public submission's CPU (need_submit_profile --profile)."""


def new_plain_row(need_id: int, bank_code: str, *, at: datetime, cal: WorkCalendar, routed_by: str) -> PlainTrack:
    """new_row's track as a PlainTrack."""
    row = PlainTrack(**COLUMN_DEFAULTS)
    row.need_id, row.bank_code, row.routed_by, row.pushed_at = need_id, bank_code, routed_by, utc(at)
    row.answer_breached = row.accept_breached = row.decide_breached = False
    write_track(row, sla.push(at, cal), at)
    return row
