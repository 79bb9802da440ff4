"""Concurrent writers keep one unbroken chain (PostgreSQL: advisory lock; SQLite: the write lock, BEGIN IMMEDIATE)."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from shoudai.audit.actor import Actor
from shoudai.audit.models import AuditEvent
from shoudai.audit.service import record, verify_chain
from shoudai.db import session_scope


def test_parallel_transactions_do_not_fork_the_chain(engine):
    def work(n: int) -> None:
        for i in range(15):
            with session_scope(engine) as s:
                record(s, Actor(f"worker{n}", "system"), "test.concurrent", object_id=i)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 60
        report = verify_chain(s)
        assert report.ok and report.checked == 60
