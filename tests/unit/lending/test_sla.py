"""The 211 state machine: holiday scenarios, illegal transitions, and random paths (hypothesis)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoudai.kit.calendar import HOLIDAY, SHANGHAI, WorkCalendar
from shoudai.lending import sla

CAL = WorkCalendar()


def sh(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_national_day_2025_answer_clock_skips_the_golden_week():
    track = sla.push(sh(2025, 9, 30, 16), CAL)
    assert track.stage == sla.PUSHED and track.clock == sla.ANSWER
    assert track.deadline.due_day == date(2025, 10, 10)  # Oct 1–8 off; Oct 9 and 10 are the two working days
    assert track.deadline.due_at == datetime.combine(date(2025, 10, 10), time(23, 59, 59), tzinfo=SHANGHAI)
    assert not track.deadline.provisional
    assert sla.warn_day(track.deadline, CAL) == date(2025, 10, 9)
    assert not sla.due_soon(track, sh(2025, 10, 8, 23), CAL)
    assert sla.due_soon(track, sh(2025, 10, 9, 9), CAL)
    assert sla.urgency(track, sh(2025, 10, 10, 23, 59), CAL) == "due_soon"
    assert sla.urgency(track, sh(2025, 10, 11, 0, 0), CAL) == "breached"


def test_spring_festival_2026_counts_the_adjusted_saturdays():
    # Friday before the festival: Saturday 14 Feb is a working day (调休), then nothing until Tuesday 24 Feb.
    track = sla.push(sh(2026, 2, 13, 17), CAL)
    assert track.deadline.due_day == date(2026, 2, 24)
    # Pushed during the holiday: counting starts the next day, the first working day is the 24th.
    assert sla.push(sh(2026, 2, 18), CAL).deadline.due_day == date(2026, 2, 25)
    # Conditions met on Friday 27 Feb: the accept clock ends on the adjusted Saturday 28 Feb.
    t = sla.apply(track, sla.Answer(("提供纳税证明",)), sh(2026, 2, 24), CAL)
    t = sla.apply(t, sla.MarkConditionsMet(), sh(2026, 2, 27, 15), CAL)
    assert t.clock == sla.ACCEPT and t.deadline.due_day == date(2026, 2, 28)
    t = sla.apply(t, sla.Accept(), sh(2026, 2, 28, 11), CAL)
    assert t.deadline.due_day == date(2026, 3, 2)  # Sunday 1 March is a rest day


def test_push_on_2026_12_30_is_provisional_until_2027_is_imported():
    track = sla.push(sh(2026, 12, 30), CAL)
    assert track.deadline.provisional and track.deadline.unknown_years == (2027,)
    assert track.deadline.due_day == date(2027, 1, 1)  # guessed on weekends alone, and flagged as such
    test_2027 = WorkCalendar({date(2027, 1, 1): HOLIDAY}, imported_years={2027})
    again = sla.recompute(track, test_2027)
    assert not again.deadline.provisional
    assert again.deadline.due_day == date(2027, 1, 4)  # New Year's Day off, then the weekend


def test_full_happy_path_records_every_step():
    t = sla.push(sh(2026, 3, 2), CAL)
    t = sla.apply(t, sla.Answer(("提供近6个月银行流水", " ")), sh(2026, 3, 3), CAL)
    assert t.stage == sla.INTENT and t.deadline is None and t.conditions == ("提供近6个月银行流水",)
    t = sla.apply(t, sla.ClaimConditionsMet(), sh(2026, 3, 10), CAL)
    assert t.stage == sla.CLAIMED and t.deadline is None
    t = sla.apply(t, sla.ConfirmClaim(), sh(2026, 3, 11), CAL)
    assert t.stage == sla.CONDITIONS_MET and t.deadline.due_day == date(2026, 3, 12)
    t = sla.apply(t, sla.Accept(), sh(2026, 3, 12), CAL)
    t = sla.apply(t, sla.Approve(), sh(2026, 3, 13), CAL)
    t = sla.apply(t, sla.Disburse(Decimal("50.00"), date(2026, 3, 16), "JK2026-001"), sh(2026, 3, 16), CAL)
    assert t.terminal and t.disbursed_amount == Decimal("50.00") and t.closed_at == sh(2026, 3, 16)
    assert t.history == (sla.PUSHED, sla.INTENT, sla.CLAIMED, sla.CONDITIONS_MET, sla.ACCEPTED, sla.APPROVED,
                         sla.DISBURSED)


@pytest.mark.parametrize("event", [sla.Accept(), sla.Approve(), sla.MarkConditionsMet(), sla.ConfirmClaim(),
                                   sla.Disburse(Decimal(1), date(2026, 3, 3), "x")])
def test_illegal_transitions_from_pushed_raise(event):
    with pytest.raises(sla.TransitionError):
        sla.apply(sla.push(sh(2026, 3, 2), CAL), event, sh(2026, 3, 3), CAL)


def test_decline_needs_a_known_reason_and_reroute_needs_a_breach():
    t = sla.push(sh(2026, 3, 2), CAL)
    with pytest.raises(sla.TransitionError):
        sla.apply(t, sla.Decline("because"), sh(2026, 3, 3), CAL)
    with pytest.raises(sla.TransitionError):
        sla.apply(t, sla.Reroute(), sh(2026, 3, 4, 23), CAL)  # still on time
    late = sla.apply(t, sla.Reroute(), sh(2026, 3, 5), CAL)
    assert late.stage == sla.REROUTED and late.terminal
    d = sla.apply(t, sla.Decline("no_collateral"), sh(2026, 3, 3), CAL)
    assert d.stage == sla.DECLINED and d.decline_stage == sla.PUSHED
    with pytest.raises(sla.TransitionError):
        sla.apply(d, sla.Withdraw(), sh(2026, 3, 4), CAL)


def test_events_cannot_go_back_in_time_or_be_naive():
    t = sla.push(sh(2026, 3, 2, 12), CAL)
    with pytest.raises(sla.TransitionError):
        sla.apply(t, sla.Answer(), sh(2026, 3, 2, 11), CAL)
    with pytest.raises(ValueError):
        sla.push(datetime(2026, 3, 2, 12), CAL)


def test_breached_clock_is_a_fact_of_stage_deadline_and_now():
    d = CAL.deadline(sh(2026, 3, 2), 2)
    assert sla.breached_clock(sla.PUSHED, d, sh(2026, 3, 5)) == sla.ANSWER
    assert sla.breached_clock(sla.PUSHED, d, sh(2026, 3, 4, 23, 59)) is None
    assert sla.breached_clock(sla.INTENT, d, sh(2026, 3, 5)) is None


# --- random paths ------------------------------------------------------------------------------------------

EVENTS = [sla.Answer(("提供纳税证明",)), sla.Decline("other"), sla.MarkConditionsMet(), sla.ClaimConditionsMet(),
          sla.ConfirmClaim(), sla.RejectClaim(), sla.Accept(), sla.Approve(),
          sla.Disburse(Decimal(10), date(2026, 1, 1), "C1"), sla.Withdraw(), sla.Reroute()]
# The stage each clock must have been started in; a clock can start only by entering that stage.
ORDER = {sla.PUSHED: 0, sla.INTENT: 1, sla.CLAIMED: 1, sla.CONDITIONS_MET: 2, sla.ACCEPTED: 3, sla.APPROVED: 4}

start_times = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31),
                           timezones=st.just(UTC))
gaps = st.lists(st.integers(min_value=0, max_value=6 * 24 * 60), min_size=60, max_size=60)
choices = st.lists(st.integers(min_value=0, max_value=len(EVENTS) - 1), min_size=60, max_size=60)


def _walk(start, gap_minutes, picks):
    """Apply random events, legal or not, checking invariants at each step; prefer legal ones to make progress."""
    t = sla.push(start, CAL)
    at = start
    deadlines = [t.deadline.due_at]
    for gap, pick in zip(gap_minutes, picks):
        if t.terminal:
            break
        at = at + timedelta(minutes=gap)
        event = EVENTS[pick]
        if t.stage not in sla.ALLOWED[type(event)]:
            with pytest.raises(sla.TransitionError):
                sla.apply(t, event, at, CAL)
            legal = [e for e in EVENTS if t.stage in sla.ALLOWED[type(e)]]
            event = legal[pick % len(legal)]
        try:
            nxt = sla.apply(t, event, at, CAL)
        except sla.TransitionError:
            assert isinstance(event, sla.Reroute) and not sla.breached(t, at)
            continue
        # No transition skips a clock: a step moves at most one clocked stage forward.
        if nxt.stage in ORDER and t.stage in ORDER:
            assert ORDER[nxt.stage] - ORDER[t.stage] <= 1
        if nxt.clock is not None:
            assert nxt.deadline == CAL.deadline(at, sla.CLOCK_DAYS[nxt.clock])
            assert nxt.deadline.due_at >= at
            deadlines.append(nxt.deadline.due_at)
        t = nxt
    return t, deadlines


@settings(max_examples=300, deadline=None)
@given(start_times, gaps, choices)
def test_random_paths_keep_the_invariants(start, gap_minutes, picks):
    t, deadlines = _walk(start, gap_minutes, picks)
    assert all(d.tzinfo is not None for d in deadlines)
    clocks_started = [s for s in t.history if s in sla.CLOCK_OF_STAGE]
    # Every clock in the history was started in order: answer before accept before decide.
    order = [sla.CLOCKS.index(sla.CLOCK_OF_STAGE[s]) for s in clocks_started]
    assert order == sorted(order) and len(order) == len(set(order))  # and none runs twice
    if sla.ACCEPTED in t.history:
        assert sla.CONDITIONS_MET in t.history and sla.INTENT in t.history
    if sla.DISBURSED in t.history:
        assert t.history.index(sla.ACCEPTED) < t.history.index(sla.APPROVED) < t.history.index(sla.DISBURSED)


@settings(max_examples=200, deadline=None)
@given(start_times, st.randoms(use_true_random=False))
def test_every_random_path_ends_in_a_terminal_state(start, rnd):
    t, at = sla.push(start, CAL), start
    for _ in range(40):
        if t.terminal:
            break
        at += timedelta(hours=rnd.randint(1, 96))
        legal = [e for e in EVENTS if t.stage in sla.ALLOWED[type(e)]
                 and not (isinstance(e, sla.Reroute) and not sla.breached(t, at))]
        assert any(isinstance(e, sla.Withdraw) for e in legal)  # the business can always end an open track
        t = sla.apply(t, rnd.choice(legal), at, CAL)
    if not t.terminal:
        t = sla.apply(t, sla.Withdraw(), at, CAL)
    assert t.terminal and t.stage in sla.TERMINAL and t.closed_at is not None
    assert sla.allowed_events(t.stage) == []


@settings(max_examples=300, deadline=None)
@given(start_times, st.integers(min_value=0, max_value=20 * 24 * 60))
def test_deadlines_are_monotone_in_the_event_time_and_the_clock_length(start, later_by):
    later = start + timedelta(minutes=later_by)
    assert sla.push(start, CAL).deadline.due_at <= sla.push(later, CAL).deadline.due_at
    one, two = CAL.deadline(start, 1), CAL.deadline(start, 2)
    assert start < one.due_at < two.due_at
    assert one.due_at <= CAL.deadline(later, 1).due_at
    # A warning day always lies before the due day and is a working day (or a guessed one in an unknown year).
    warn = sla.warn_day(two, CAL)
    assert warn < two.due_day
    assert CAL.add_working_days(warn - timedelta(days=1), 1).day == warn
