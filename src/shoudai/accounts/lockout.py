"""Lockout after repeated failures, keyed on (account, source address), with a pure core."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from shoudai.accounts.models import LoginThrottle
from shoudai.audit.service import utc


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
    if row is None:
        return ThrottleState()
    return ThrottleState(
        row.failures,
        row.first_failure_at and utc(row.first_failure_at),
        row.locked_until and utc(row.locked_until),
    )


def register_failure(
    session: Session, username: str, source: str | None, now: datetime, policy: LockoutPolicy = POLICY
) -> ThrottleState:
    """Count one failure for (username, source) and store the new state."""
    name, src = _key(username, source)
    new = after_failure(load(session, name, src), now, policy)
    row = session.get(LoginThrottle, (name, src)) or LoginThrottle(username=name, source=src)
    row.failures, row.first_failure_at, row.locked_until = new.failures, new.first_failure_at, new.locked_until
    session.add(row)
    session.flush()
    return new


def clear(session: Session, username: str, source: str | None) -> None:
    """Forget failures for (username, source) after a successful login."""
    name, src = _key(username, source)
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == name, LoginThrottle.source == src))
