"""Fixed-window rate limits (OWASP API6) on both engines: count to the limit, refuse with a wait, start over."""

from datetime import UTC, datetime, timedelta

from shoudai.lending.ratelimit import Limit, RateLimiter

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
LIMIT = Limit(3, timedelta(minutes=10))


def hits(session, at, n, key="otp_phone:abc"):
    return [RateLimiter(session, at).hit(key, LIMIT) for _ in range(n)]


def test_counts_to_the_limit_then_refuses_with_the_wait(session):
    first = hits(session, T0, 3)
    assert [d.allowed for d in first] == [True, True, True]
    assert [d.remaining for d in first] == [2, 1, 0]
    refused = RateLimiter(session, T0 + timedelta(minutes=4)).hit("otp_phone:abc", LIMIT)
    assert not refused.allowed and refused.remaining == 0
    assert refused.retry_after == 6 * 60 + 1  # until the window that began at T0 ends
    assert RateLimiter(session, T0).hit("otp_phone:other", LIMIT).allowed  # keys are separate


def test_a_refusal_does_not_extend_the_window(session):
    hits(session, T0, 3)
    hits(session, T0 + timedelta(minutes=9), 5)  # refused tries
    again = RateLimiter(session, T0 + timedelta(minutes=10)).hit("otp_phone:abc", LIMIT)
    assert again.allowed and again.remaining == 2  # a fresh window at exactly T0 + 10 min


def test_a_clock_moved_back_starts_a_new_window(session):
    hits(session, T0, 3)
    back = RateLimiter(session, T0 - timedelta(hours=1)).hit("otp_phone:abc", LIMIT)
    assert back.allowed and back.remaining == 2
