"""Server-side sessions: a new id at each login stage, idle timeout 30 min, absolute 12 h, ended on disable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.accounts.models import User, UserSession
from shoudai.audit.service import utc

STAGE_MFA = "mfa"
STAGE_FULL = "full"


@dataclass(frozen=True)
class SessionPolicy:
    """Timeouts; a password-only (TOTP pending) session gets just a few minutes."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    mfa_pending: timedelta = timedelta(minutes=5)
    # Don't write last_seen_at on every request; the idle timeout is exact to within this.
    touch_every: timedelta = timedelta(seconds=15)


POLICY = SessionPolicy()


def token_id(token: str) -> str:
    """The stored id for a cookie token."""
    return hashlib.sha256(token.encode()).hexdigest()


def expiry_reason(created_at: datetime, last_seen_at: datetime, stage: str, now: datetime,
                  policy: SessionPolicy = POLICY) -> str | None:
    """Why a session is no longer valid at `now` (absolute | idle | mfa_timeout), or None if it still is."""
    if stage == STAGE_MFA and now - created_at >= policy.mfa_pending:
        return "mfa_timeout"
    if now - created_at >= policy.absolute:
        return "absolute"
    if now - last_seen_at >= policy.idle:
        return "idle"
    return None


def start(session: Session, user: User, *, stage: str, now: datetime, source: str | None = None,
          user_agent: str | None = None) -> tuple[str, UserSession]:
    """A new session for `user`; returns the cookie token (shown once) and the row."""
    token = secrets.token_urlsafe(32)
    row = UserSession(
        id=token_id(token), user_id=user.id, stage=stage, csrf_token=secrets.token_urlsafe(32),
        created_at=now, last_seen_at=now, source=(source or None) and source[:64],
        user_agent=(user_agent or None) and user_agent[:200],
    )
    session.add(row)
    session.flush()
    return token, row


def end(session: Session, row: UserSession, reason: str, now: datetime) -> None:
    """End one session."""
    if row.ended_at is None:
        row.ended_at, row.end_reason = now, reason[:32]
        session.flush()


def end_all_for_user(session: Session, user_id: int, reason: str, now: datetime, keep: str | None = None) -> int:
    """End every open session of a user (disable, password reset), except `keep` (a session id); returns how many."""
    # Row by row through the ORM (a user has a handful), so sessions already loaded see the end at once.
    rows = [r for r in open_sessions(session, user_id) if r.id != keep]
    for row in rows:
        row.ended_at, row.end_reason = now, reason[:32]
    session.flush()
    return len(rows)


def resolve(session: Session, token: str | None, *, now: datetime, stage: str = STAGE_FULL,
            policy: SessionPolicy = POLICY) -> tuple[UserSession, User] | None:
    """The live session and user for a cookie token at `now`, or None; expired sessions are ended on the way."""
    if not token:
        return None
    row = session.get(UserSession, token_id(token))
    if row is None or row.ended_at is not None or row.stage != stage:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        end(session, row, "disabled", now)
        return None
    reason = expiry_reason(utc(row.created_at), utc(row.last_seen_at), row.stage, now, policy)
    if reason:
        end(session, row, reason, now)
        return None
    if now - utc(row.last_seen_at) >= policy.touch_every:
        row.last_seen_at = now
        session.flush()
    return row, user


def open_sessions(session: Session, user_id: int) -> list[UserSession]:
    """A user's sessions not yet ended (for the admin page)."""
    return list(session.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                          UserSession.ended_at.is_(None))))
