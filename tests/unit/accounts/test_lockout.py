"""The lockout core: 5 failures in 15 min lock for 15 min; failures while locked never extend it."""

from datetime import UTC, datetime, timedelta

from shoudai.accounts.lockout import LockoutPolicy, ThrottleState, after_failure, lock_remaining

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def fail_n(n, start=T0, step=timedelta(seconds=10)):
    t, state = start, ThrottleState()
    for _ in range(n):
        state = after_failure(state, t)
        t += step
    return state, t - step


def test_four_failures_do_not_lock():
    state, last = fail_n(4)
    assert state.failures == 4 and lock_remaining(state, last) is None


def test_fifth_failure_locks_for_15_minutes():
    state, last = fail_n(5)
    assert state.locked_until == last + timedelta(minutes=15)
    assert lock_remaining(state, last + timedelta(minutes=14, seconds=59)) is not None
    assert lock_remaining(state, last + timedelta(minutes=15)) is None


def test_failures_while_locked_do_not_extend_the_lock():
    state, last = fail_n(5)
    until = state.locked_until
    for i in range(100):
        state = after_failure(state, last + timedelta(seconds=i))
    assert state.locked_until == until


def test_after_lock_expires_counting_starts_again():
    state, _ = fail_n(5)
    later = state.locked_until + timedelta(seconds=1)
    state = after_failure(state, later)
    assert state.failures == 1 and lock_remaining(state, later) is None


def test_failures_spread_beyond_the_window_never_lock():
    state, last = fail_n(20, step=timedelta(minutes=4))
    assert lock_remaining(state, last) is None


def test_policy_is_configurable():
    p = LockoutPolicy(max_failures=3, lock_for=timedelta(minutes=1))
    s = ThrottleState()
    for i in range(3):
        s = after_failure(s, T0 + timedelta(seconds=i), p)
    assert s.locked_until == T0 + timedelta(seconds=2, minutes=1)
