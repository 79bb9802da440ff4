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


def test_hit_all_counts_each_key_against_its_own_limit_in_one_statement(session):
    daily, hourly = Limit(2, timedelta(days=1)), Limit(3, timedelta(hours=1))
    checks = [("submit_uscc:x", daily), ("submit_addr:1.2.3.4", hourly)]
    first = RateLimiter(session, T0).hit_all(checks)
    assert [(d.allowed, d.remaining) for d in first] == [(True, 1), (True, 2)]
    second = RateLimiter(session, T0 + timedelta(minutes=1)).hit_all(checks)
    assert [(d.allowed, d.remaining) for d in second] == [(True, 0), (True, 1)]
    third = RateLimiter(session, T0 + timedelta(minutes=2)).hit_all(checks)
    assert not third[0].allowed and third[0].retry_after == 24 * 3600 - 120 + 1  # the daily window from T0
    assert (third[1].allowed, third[1].remaining) == (True, 0)  # the other key counted all the same
    # An hour on, the hourly window starts over; the daily one still refuses.
    later = RateLimiter(session, T0 + timedelta(hours=1)).hit_all(checks)
    assert not later[0].allowed and (later[1].allowed, later[1].remaining) == (True, 2)


def test_hit_all_and_hit_share_their_buckets(session):
    RateLimiter(session, T0).hit_all([("otp_phone:abc", LIMIT)])
    hits(session, T0, 2)
    assert not RateLimiter(session, T0).hit_all([("otp_phone:abc", LIMIT)])[0].allowed
