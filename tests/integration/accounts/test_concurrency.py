"""Parallel failed logins: every failure is counted (the lock engages) and the audit chain stays whole, on both engines."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from shoudai.accounts import lockout
from shoudai.accounts.auth import Outcome, login_password
from shoudai.audit.models import AuditEvent
from shoudai.audit.service import verify_chain
from shoudai.db import session_scope

from .conftest import T0


def test_parallel_failures_lock_and_keep_the_chain(engine):
    def attempt(i: int) -> Outcome:
        with session_scope(engine) as s:
            return login_password(s, "ghost", "Wrong-pass-1", now=T0 + timedelta(milliseconds=i),
                                  source="203.0.113.9").outcome

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(attempt, range(12)))
    assert outcomes.count(Outcome.BAD) == 4 and outcomes.count(Outcome.LOCKED) == 8
    with session_scope(engine) as s:
        state = lockout.load(s, "ghost", "203.0.113.9")
        assert state.failures == 5 and state.locked_until is not None
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 12
        assert verify_chain(s).ok
