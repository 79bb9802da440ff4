"""The login flow with an injected clock: TOTP, lockout timing, session expiry, new session ids."""

from datetime import timedelta

from sqlalchemy import func, select

from shoudai.accounts import roles, sessions
from shoudai.accounts.auth import Outcome, login_password, login_totp, logout
from shoudai.accounts.models import UserSession
from shoudai.accounts.scope import ScopeSpec
from shoudai.accounts.service import set_disabled
from shoudai.accounts.totp import current_code
from shoudai.audit.models import AuditEvent

from .conftest import ADMIN, PASSWORD, T0

IP = "192.0.2.10"


def full_login(session, username, secret, now=T0, ip=IP):
    r = login_password(session, username, PASSWORD, now=now, source=ip)
    assert r.outcome is Outcome.NEED_TOTP
    return r.token, login_totp(session, r.token, current_code(secret, now), now=now, source=ip)


def actions(session):
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_staff_need_totp_then_get_new_session_id(session, make_user):
    user, secret = make_user()
    pending, result = full_login(session, "zhang", secret)
    assert result.outcome is Outcome.OK and result.token != pending
    assert sessions.resolve(session, pending, now=T0, stage=sessions.STAGE_MFA) is None, "pending id must die"
    row, who = sessions.resolve(session, result.token, now=T0)
    assert who.id == user.id and row.stage == sessions.STAGE_FULL
    assert actions(session)[-2:] == ["login.password_ok", "login.success"]


def test_password_alone_gives_no_full_session(session, make_user):
    make_user()
    r = login_password(session, "zhang", PASSWORD, now=T0, source=IP)
    assert sessions.resolve(session, r.token, now=T0) is None


def test_enterprise_logs_in_with_password(session, make_user):
    make_user("ent", roles.ENTERPRISE, ScopeSpec(enterprise_uscc="91410702MA44DE7M01"))
    r = login_password(session, "ent", PASSWORD, now=T0, source=IP)
    assert r.outcome is Outcome.OK and sessions.resolve(session, r.token, now=T0)


def test_wrong_totp_and_replay_refused(session, make_user):
    _, secret = make_user()
    r = login_password(session, "zhang", PASSWORD, now=T0, source=IP)
    assert login_totp(session, r.token, "000000" if current_code(secret, T0) != "000000" else "111111",
                      now=T0, source=IP).outcome is Outcome.BAD
    ok = login_totp(session, r.token, current_code(secret, T0), now=T0, source=IP)
    assert ok.outcome is Outcome.OK
    r2 = login_password(session, "zhang", PASSWORD, now=T0 + timedelta(seconds=5), source=IP)
    replay = login_totp(session, r2.token, current_code(secret, T0), now=T0 + timedelta(seconds=5), source=IP)
    assert replay.outcome is Outcome.BAD


def test_lockout_after_five_failures_for_fifteen_minutes(session, make_user):
    _, secret = make_user()
    t = T0
    for i in range(4):
        assert login_password(session, "zhang", "wrong-Pass-1", now=t, source=IP).outcome is Outcome.BAD
        t += timedelta(seconds=20)
    fifth = login_password(session, "zhang", "wrong-Pass-1", now=t, source=IP)
    assert fifth.outcome is Outcome.LOCKED and fifth.locked_until == t + timedelta(minutes=15)
    # Even the right password is refused while locked ...
    assert login_password(session, "zhang", PASSWORD, now=t + timedelta(minutes=14), source=IP).outcome is Outcome.LOCKED
    # ... but only from that source: the real user elsewhere is not locked out.
    assert login_password(session, "zhang", PASSWORD, now=t, source="198.51.100.7").outcome is Outcome.NEED_TOTP
    # Hammering during the lock does not extend it.
    for i in range(10):
        login_password(session, "zhang", "wrong-Pass-1", now=t + timedelta(minutes=1, seconds=i), source=IP)
    _, ok = full_login(session, "zhang", secret, now=t + timedelta(minutes=15))
    assert ok.outcome is Outcome.OK
    acts = actions(session)
    assert acts.count("login.failure") == 5 and "login.locked" in acts


def test_unknown_user_is_throttled_too(session, make_user):
    for i in range(5):
        r = login_password(session, "nobody", "x", now=T0 + timedelta(seconds=i), source=IP)
    assert r.outcome is Outcome.LOCKED


def test_totp_failures_count_towards_lockout(session, make_user):
    _, secret = make_user()
    wrong = "000000" if current_code(secret, T0) != "000000" else "111111"
    outcome = None
    for i in range(5):
        r = login_password(session, "zhang", PASSWORD, now=T0 + timedelta(seconds=i), source=IP)
        outcome = login_totp(session, r.token, wrong, now=T0 + timedelta(seconds=i), source=IP).outcome
    assert outcome is Outcome.LOCKED


def test_idle_and_absolute_expiry(session, make_user):
    _, secret = make_user()
    _, r = full_login(session, "zhang", secret)
    assert sessions.resolve(session, r.token, now=T0 + timedelta(minutes=29))
    assert sessions.resolve(session, r.token, now=T0 + timedelta(minutes=58))  # touched at 29 min
    assert sessions.resolve(session, r.token, now=T0 + timedelta(minutes=88, seconds=1)) is None
    row = session.get(UserSession, sessions.token_id(r.token))
    assert row.end_reason == "idle"

    _, r = full_login(session, "zhang", secret, now=T0 + timedelta(hours=1))
    t = T0 + timedelta(hours=1)
    for _ in range(12 * 3):  # active every 20 minutes
        t += timedelta(minutes=20)
        if t < T0 + timedelta(hours=13):
            assert sessions.resolve(session, r.token, now=t), t
    assert sessions.resolve(session, r.token, now=T0 + timedelta(hours=13)) is None
    assert session.get(UserSession, sessions.token_id(r.token)).end_reason == "absolute"


def test_disabled_user_cannot_log_in_and_loses_session(session, make_user):
    user, secret = make_user()
    _, r = full_login(session, "zhang", secret)
    set_disabled(session, user.id, actor=ADMIN, disabled=True, now=T0)
    assert sessions.resolve(session, r.token, now=T0) is None
    assert login_password(session, "zhang", PASSWORD, now=T0, source=IP).outcome is Outcome.BAD


def test_logout_ends_session(session, make_user):
    _, secret = make_user()
    _, r = full_login(session, "zhang", secret)
    row, who = sessions.resolve(session, r.token, now=T0)
    logout(session, row, who, now=T0, source=IP)
    assert sessions.resolve(session, r.token, now=T0) is None
    assert session.scalar(select(func.count()).select_from(UserSession).where(UserSession.ended_at.is_(None))) == 0
