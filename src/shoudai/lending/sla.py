"""The "211" clocks (Q5) as a pure state machine over the working-day calendar: no database, no wall clock."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from shoudai.kit.calendar import Deadline, WorkCalendar, shanghai_date

# Stages of one (need, bank) track.
PUSHED = "pushed"  # waiting for the bank's initial answer (answer clock: 2 working days)
INTENT = "intent"  # the bank answered with credit conditions; the business is working on them
CLAIMED = "claimed"  # the business says the conditions are met; the bank must confirm
CONDITIONS_MET = "conditions_met"  # accept clock: 1 working day
ACCEPTED = "accepted"  # decide clock: 1 working day
APPROVED = "approved"  # waiting for disbursement
DISBURSED = "disbursed"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
REROUTED = "rerouted"

STAGES = (PUSHED, INTENT, CLAIMED, CONDITIONS_MET, ACCEPTED, APPROVED, DISBURSED, DECLINED, WITHDRAWN, REROUTED)
TERMINAL = frozenset({DISBURSED, DECLINED, WITHDRAWN, REROUTED})
OPEN = tuple(s for s in STAGES if s not in TERMINAL)

ANSWER, ACCEPT, DECIDE = "answer", "accept", "decide"
CLOCKS = (ANSWER, ACCEPT, DECIDE)
# Which clock runs in which stage, and how many working days it has (seed §二(二): 2, 1, 1).
CLOCK_OF_STAGE = {PUSHED: ANSWER, CONDITIONS_MET: ACCEPT, ACCEPTED: DECIDE}
STAGE_OF_CLOCK = {v: k for k, v in CLOCK_OF_STAGE.items()}
CLOCK_DAYS = {ANSWER: 2, ACCEPT: 1, DECIDE: 1}

# Structured decline reasons (Q7: a decline must carry one). Chinese labels are what the business sees.
DECLINE_REASONS = {
    "no_cash_flow": "经营流水不足",
    "no_collateral": "缺少抵押担保",
    "credit_record": "征信记录不良",
    "tax_grade": "纳税信用等级偏低",
    "industry_policy": "行业政策限制",
    "too_new": "经营时间过短",
    "amount_mismatch": "金额或期限不匹配",
    "not_in_area": "不在服务区域",
    "unreachable": "无法联系企业",
    "other": "其他原因",
}
STATE_ERROR_HINT = "当前阶段不允许此操作"

# Condition checklist items banks pick from (free text is allowed too).
CONDITION_HINTS = ("提供近6个月银行流水", "提供纳税证明", "提供抵押物或担保", "法定代表人到场面签", "开立结算账户")


class TransitionError(ValueError):
    """An action that the track's stage does not allow (or that lacks what it needs)."""


@dataclass(frozen=True)
class Track:
    """One (need, bank) track: its stage, the running clock's deadline, and when each step happened."""

    stage: str
    pushed_at: datetime
    clock: str | None = None
    clock_started_at: datetime | None = None
    deadline: Deadline | None = None
    conditions: tuple[str, ...] = ()
    answered_at: datetime | None = None
    conditions_met_at: datetime | None = None
    accepted_at: datetime | None = None
    decided_at: datetime | None = None
    closed_at: datetime | None = None
    decline_reason: str | None = None
    decline_stage: str | None = None
    disbursed_amount: Decimal | None = None
    disbursed_on: date | None = None
    contract_no: str | None = None
    history: tuple[str, ...] = field(default=())

    @property
    def terminal(self) -> bool:
        return self.stage in TERMINAL


# --- events: what can happen to a track ---------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """The bank's initial intent, with the credit conditions the business must meet (may be empty)."""

    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decline:
    """The bank says no (at the answer or at the decision), with a reason code from DECLINE_REASONS."""

    reason: str


@dataclass(frozen=True)
class MarkConditionsMet:
    """The bank records that the conditions are met (starts the accept clock)."""


@dataclass(frozen=True)
class ClaimConditionsMet:
    """The business says it has met the conditions; the bank must confirm."""


@dataclass(frozen=True)
class ConfirmClaim:
    """The bank confirms the business's claim (starts the accept clock)."""


@dataclass(frozen=True)
class RejectClaim:
    """The bank finds the conditions not yet met: back to intent."""


@dataclass(frozen=True)
class Accept:
    """The bank formally accepts the application (starts the decide clock)."""


@dataclass(frozen=True)
class Approve:
    """The bank approves the loan."""


@dataclass(frozen=True)
class Disburse:
    """The money is paid out: amount in 万元, value date, contract number."""

    amount: Decimal
    on: date
    contract_no: str


@dataclass(frozen=True)
class Withdraw:
    """The business withdraws its need from this bank."""


@dataclass(frozen=True)
class Reroute:
    """The track is closed because its clock ran out and the need goes elsewhere (Q7)."""


Event = (Answer | Decline | MarkConditionsMet | ClaimConditionsMet | ConfirmClaim | RejectClaim | Accept
         | Approve | Disburse | Withdraw | Reroute)

# Which stages each event may leave from.
ALLOWED: dict[type, frozenset[str]] = {
    Answer: frozenset({PUSHED}),
    Decline: frozenset({PUSHED, ACCEPTED}),
    MarkConditionsMet: frozenset({INTENT, CLAIMED}),
    ClaimConditionsMet: frozenset({INTENT}),
    ConfirmClaim: frozenset({CLAIMED}),
    RejectClaim: frozenset({CLAIMED}),
    Accept: frozenset({CONDITIONS_MET}),
    Approve: frozenset({ACCEPTED}),
    Disburse: frozenset({APPROVED}),
    Withdraw: frozenset(OPEN),
    Reroute: frozenset(CLOCK_OF_STAGE),
}


def push(at: datetime, cal: WorkCalendar) -> Track:
    """A new track: pushed at `at`, the answer clock running."""
    _aware(at)
    return _enter(Track(stage=PUSHED, pushed_at=at), PUSHED, at, cal)


def apply(track: Track, event: Event, at: datetime, cal: WorkCalendar) -> Track:
    """The track after `event` happened at `at`; raises TransitionError if the stage does not allow it."""
    _aware(at)
    kind = type(event)
    if kind not in ALLOWED:
        raise TransitionError(f"unknown event {kind.__name__}")
    if track.stage not in ALLOWED[kind]:
        raise TransitionError(f"{STATE_ERROR_HINT}: {kind.__name__} in stage {track.stage}")
    last = _last_event_at(track)
    if at < last:
        raise TransitionError(f"event at {at.isoformat()} is before the track's last step {last.isoformat()}")
    if isinstance(event, Answer):
        conditions = tuple(c.strip() for c in event.conditions if c and c.strip())
        return _enter(replace(track, answered_at=at, conditions=conditions), INTENT, at, cal)
    if isinstance(event, Decline):
        if event.reason not in DECLINE_REASONS:
            raise TransitionError(f"unknown decline reason {event.reason!r}; one of {sorted(DECLINE_REASONS)}")
        stamped = replace(track, decline_reason=event.reason, decline_stage=track.stage)
        stamped = replace(stamped, answered_at=at) if track.stage == PUSHED else replace(stamped, decided_at=at)
        return _enter(stamped, DECLINED, at, cal)
    if isinstance(event, (MarkConditionsMet, ConfirmClaim)):
        return _enter(replace(track, conditions_met_at=at), CONDITIONS_MET, at, cal)
    if isinstance(event, ClaimConditionsMet):
        return _enter(track, CLAIMED, at, cal)
    if isinstance(event, RejectClaim):
        return _enter(track, INTENT, at, cal)
    if isinstance(event, Accept):
        return _enter(replace(track, accepted_at=at), ACCEPTED, at, cal)
    if isinstance(event, Approve):
        return _enter(replace(track, decided_at=at), APPROVED, at, cal)
    if isinstance(event, Disburse):
        amount = Decimal(event.amount)
        if not amount.is_finite() or amount <= 0:
            raise TransitionError("disbursed amount must be a positive number of 万元")
        if not event.contract_no or not event.contract_no.strip():
            raise TransitionError("contract number is required")
        if type(event.on) is not date:
            raise TransitionError("disbursement date must be a date")
        return _enter(replace(track, disbursed_amount=amount, disbursed_on=event.on,
                              contract_no=event.contract_no.strip()), DISBURSED, at, cal)
    if isinstance(event, Reroute):
        if not breached(track, at):
            raise TransitionError("a track is rerouted only after its clock ran out (decline closes it otherwise)")
        return _enter(track, REROUTED, at, cal)
    return _enter(track, WITHDRAWN, at, cal)  # Withdraw


def _enter(track: Track, stage: str, at: datetime, cal: WorkCalendar) -> Track:
    clock = CLOCK_OF_STAGE.get(stage)
    deadline = cal.deadline(at, CLOCK_DAYS[clock]) if clock else None
    return replace(track, stage=stage, clock=clock, clock_started_at=at if clock else None, deadline=deadline,
                   closed_at=at if stage in TERMINAL else None, history=track.history + (stage,))


def _last_event_at(track: Track) -> datetime:
    stamps = [t for t in (track.pushed_at, track.clock_started_at, track.answered_at, track.conditions_met_at,
                          track.accepted_at, track.decided_at) if t is not None]
    return max(stamps)


def _aware(at: datetime) -> None:
    shanghai_date(at)  # raises on naive datetimes


# --- facts computed from (stage, deadline, now) -----------------------------------------------------------

def breached(track: Track, now: datetime) -> bool:
    """Whether the running clock has run out at `now` (nothing runs in unclocked or terminal stages)."""
    return track.deadline is not None and track.deadline.missed_by(now)


def breached_clock(stage: str, deadline: Deadline | None, now: datetime) -> str | None:
    """The clock that is in breach for a row in `stage` with `deadline` at `now`, or None."""
    clock = CLOCK_OF_STAGE.get(stage)
    if clock is None or deadline is None or not deadline.missed_by(now):
        return None
    return clock


def previous_working_day(day: date, cal: WorkCalendar) -> date:
    """The last working day strictly before `day` (unknown years judged on weekends, like deadlines)."""
    probe = day - timedelta(days=1)
    while cal.add_working_days(probe - timedelta(days=1), 1).day != probe:
        probe -= timedelta(days=1)
    return probe


def warn_day(deadline: Deadline, cal: WorkCalendar) -> date:
    """The day a "due soon" warning goes out: the working day before the due day."""
    return previous_working_day(deadline.due_day, cal)


def due_soon(track: Track, now: datetime, cal: WorkCalendar) -> bool:
    """True from the working day before the due day until the deadline (not once it is breached)."""
    if track.deadline is None or breached(track, now):
        return False
    return shanghai_date(now) >= warn_day(track.deadline, cal)


def urgency(track: Track, now: datetime, cal: WorkCalendar) -> str:
    """'breached' | 'due_soon' | 'ok' | 'idle' (no clock running): the workbench's colour."""
    if track.deadline is None:
        return "idle"
    if breached(track, now):
        return "breached"
    return "due_soon" if due_soon(track, now, cal) else "ok"


def recompute(track: Track, cal: WorkCalendar) -> Track:
    """The same track with its deadline recomputed on `cal` (after a year's arrangement was imported)."""
    if track.clock is None or track.clock_started_at is None:
        return track
    return replace(track, deadline=cal.deadline(track.clock_started_at, CLOCK_DAYS[track.clock]))


def allowed_events(stage: str) -> list[str]:
    """Names of the events a track in `stage` accepts (for the workbench's buttons)."""
    return [kind.__name__ for kind, stages in ALLOWED.items() if stage in stages]
