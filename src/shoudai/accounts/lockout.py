"""Lockout after repeated failures, keyed on (account, source address), with a pure core."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from shoudai.accounts.models import LoginThrottle
from shoudai.audit.service import hold_sqlite_write_lock, utc


@dataclass(frozen=True)
class LockoutPolicy:
    """5 failures within 15 minutes lock that (account, source) for 15 minutes."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)


POLICY = LockoutPolicy()


@dataclass(frozen=True)
class ThrottleState:
    """Failures counted since `first_failure_at`; locked while now < `locked_until`."""

    failures: int = 0
    first_failure_at: datetime | None = None
    locked_until: datetime | None = None


def lock_remaining(state: ThrottleState, now: datetime) -> timedelta | None:
    """How long the lock still holds, or None if not locked."""
    if state.locked_until is not None and now < state.locked_until:
        return state.locked_until - now
    return None


def after_failure(state: ThrottleState, now: datetime, policy: LockoutPolicy = POLICY) -> ThrottleState:
    """The state after one more failure.

    Failures while locked do not extend the lock, so an attacker cannot keep an account locked beyond
    `lock_for` by hammering it; and because the key includes the source address, attempts from elsewhere
    never lock the real user out at all.
    """
    if lock_remaining(state, now):
        return state
    fresh = state.first_failure_at is None or now - state.first_failure_at >= policy.window or state.locked_until
    if fresh:
        state = ThrottleState(failures=1, first_failure_at=now)
    else:
        state = replace(state, failures=state.failures + 1)
    if state.failures >= policy.max_failures:
        state = replace(state, locked_until=now + policy.lock_for)
    return state


def _key(username: str, source: str | None) -> tuple[str, str]:
    return username.strip().lower()[:64], (source or "-")[:64]


def load(session: Session, username: str, source: str | None) -> ThrottleState:
    """The stored state for (username, source)."""
    row = session.get(LoginThrottle, _key(username, source))
    return ThrottleState() if row is None else _state(row)


def register_failure(
    session: Session, username: str, source: str | None, now: datetime, policy: LockoutPolicy = POLICY
) -> ThrottleState:
    """Count one failure for (username, source) and store the new state."""
    name, src = _key(username, source)
    row = _locked_row(session, name, src)
    new = after_failure(_state(row), now, policy)
    row.failures, row.first_failure_at, row.locked_until = new.failures, new.first_failure_at, new.locked_until
    session.flush()
    return new


def _locked_row(session: Session, name: str, src: str) -> LoginThrottle:
    """The throttle row, created if missing and locked, so parallel failures are all counted."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            pg_insert(LoginThrottle).values(username=name, source=src, failures=0).on_conflict_do_nothing()
        )
        return session.scalars(
            select(LoginThrottle).where(LoginThrottle.username == name, LoginThrottle.source == src)
            .with_for_update().execution_options(populate_existing=True)
        ).one()
    hold_sqlite_write_lock(session)
    row = session.get(LoginThrottle, (name, src), populate_existing=True)
    if row is None:
        row = LoginThrottle(username=name, source=src, failures=0)
        session.add(row)
    return row


def _state(row: LoginThrottle) -> ThrottleState:
    return ThrottleState(
        row.failures or 0,
        row.first_failure_at and utc(row.first_failure_at),
        row.locked_until and utc(row.locked_until),
    )


def clear(session: Session, username: str, source: str | None) -> None:
    """Forget failures for (username, source) after a successful login."""
    name, src = _key(username, source)
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == name, LoginThrottle.source == src))
