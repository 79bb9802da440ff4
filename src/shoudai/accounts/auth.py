"""The login flow: password (throttled per account and source), then TOTP for staff, then a fresh session."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from shoudai.accounts import lockout, roles, sessions, totp
from shoudai.accounts.models import User, UserSession
from shoudai.accounts.passwords import hash_password, needs_rehash, verify_password
from shoudai.accounts.service import get_by_username, normalise_username, totp_secret_of
from shoudai.audit.actor import Actor
from shoudai.audit.service import record


class Outcome(enum.Enum):
    OK = "ok"  # fully logged in: `token` is the new session cookie
    NEED_TOTP = "need_totp"  # password right: `token` is a short pending session for the TOTP step
    BAD = "bad"  # wrong username, password or code (never says which)
    LOCKED = "locked"  # too many failures from this source: `locked_until`


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    user: User | None = None
    token: str | None = None
    locked_until: datetime | None = None


def actor_for(user: User, source: str | None) -> Actor:
    """The audit actor for a logged-in user at `source`."""
    return Actor(username=user.username, role=user.role, user_id=user.id, source=source)


def _fail(session: Session, username: str, source: str | None, now: datetime, user: User | None,
          action: str, reason: str) -> LoginResult:
    state = lockout.register_failure(session, username, source, now)
    locked = lockout.lock_remaining(state, now) is not None
    actor = actor_for(user, source) if user else Actor.anonymous(username, source)
    record(session, actor, action, object_type="user", object_id=user.id if user else None, outcome="failure",
           at=now, detail={"reason": reason, "failures": state.failures, "locked": locked})
    if locked:
        return LoginResult(Outcome.LOCKED, locked_until=state.locked_until)
    return LoginResult(Outcome.BAD)


def _locked(session: Session, username: str, source: str | None, now: datetime) -> LoginResult | None:
    state = lockout.load(session, username, source)
    if lockout.lock_remaining(state, now):
        record(session, Actor.anonymous(username, source), "login.locked", object_type="user", outcome="denied",
               at=now, detail={"locked_until": state.locked_until.isoformat()})
        return LoginResult(Outcome.LOCKED, locked_until=state.locked_until)
    return None


def _complete(session: Session, user: User, source: str | None, user_agent: str | None, now: datetime,
              factors: str) -> LoginResult:
    lockout.clear(session, user.username, source)
    token, _ = sessions.start(session, user, stage=sessions.STAGE_FULL, now=now, source=source, user_agent=user_agent)
    user.last_login_at = now
    session.flush()
    record(session, actor_for(user, source), "login.success", object_type="user", object_id=user.id, at=now,
           detail={"factors": factors})
    return LoginResult(Outcome.OK, user=user, token=token)


def login_password(session: Session, username: str, password: str, *, now: datetime, source: str | None,
                   user_agent: str | None = None) -> LoginResult:
    """Check the password; staff then need the TOTP step, enterprises are logged in."""
    name = normalise_username(username)
    locked = _locked(session, name, source, now)
    if locked:
        return locked
    user = get_by_username(session, name)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        return _fail(session, name, source, now, user, "login.failure", "password" if user else "unknown_user")
    if user.disabled:
        return _fail(session, name, source, now, user, "login.failure", "disabled")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if roles.is_staff(user.role) or user.totp_secret_enc:
        if not user.totp_secret_enc:
            return _fail(session, name, source, now, user, "login.failure", "totp_not_enrolled")
        token, _ = sessions.start(session, user, stage=sessions.STAGE_MFA, now=now, source=source,
                                  user_agent=user_agent)
        record(session, actor_for(user, source), "login.password_ok", object_type="user", object_id=user.id, at=now)
        return LoginResult(Outcome.NEED_TOTP, user=user, token=token)
    return _complete(session, user, source, user_agent, now, "password")


def pending_user(session: Session, token: str | None, now: datetime) -> tuple[UserSession, User] | None:
    """The password-verified session awaiting its TOTP code, if still valid."""
    return sessions.resolve(session, token, now=now, stage=sessions.STAGE_MFA)


def login_totp(session: Session, pending_token: str | None, code: str, *, now: datetime, source: str | None,
               user_agent: str | None = None) -> LoginResult:
    """Check the TOTP code of a pending session; success ends it and starts a new full session (new id)."""
    found = pending_user(session, pending_token, now)
    if found is None:
        return LoginResult(Outcome.BAD)
    pending, user = found
    locked = _locked(session, user.username, source, now)
    if locked:
        sessions.end(session, pending, "locked", now)
        return locked
    secret = totp_secret_of(user)
    step = totp.matching_step(secret, code, now, user.totp_last_step) if secret else None
    if step is None:
        result = _fail(session, user.username, source, now, user, "login.totp_failure", "totp")
        if result.outcome is Outcome.LOCKED:
            sessions.end(session, pending, "locked", now)
        return result
    user.totp_last_step = step
    sessions.end(session, pending, "mfa_complete", now)
    return _complete(session, user, source, user_agent, now, "password+totp")


def logout(session: Session, row: UserSession, user: User, *, now: datetime, source: str | None) -> None:
    """End the session and record it."""
    sessions.end(session, row, "logout", now)
    record(session, actor_for(user, source), "logout", object_type="user", object_id=user.id, at=now)
