"""Session expiry: idle 30 min, absolute 12 h, pending-TOTP 5 min."""

from datetime import UTC, datetime, timedelta

from shoudai.accounts.sessions import STAGE_FULL, STAGE_MFA, expiry_reason

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def test_fresh_session_valid():
    assert expiry_reason(T0, T0, STAGE_FULL, T0 + timedelta(minutes=29, seconds=59)) is None


def test_idle_timeout_at_30_minutes():
    assert expiry_reason(T0, T0, STAGE_FULL, T0 + timedelta(minutes=30)) == "idle"


def test_activity_keeps_it_alive_until_12_hours():
    last_seen = T0 + timedelta(hours=11, minutes=50)
    assert expiry_reason(T0, last_seen, STAGE_FULL, T0 + timedelta(hours=11, minutes=59)) is None
    assert expiry_reason(T0, last_seen, STAGE_FULL, T0 + timedelta(hours=12)) == "absolute"


def test_pending_totp_session_short():
    assert expiry_reason(T0, T0, STAGE_MFA, T0 + timedelta(minutes=4)) is None
    assert expiry_reason(T0, T0, STAGE_MFA, T0 + timedelta(minutes=5)) == "mfa_timeout"
