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


def test_parallel_batches_keep_one_chain_in_id_order(engine):
    """Batched rows (appended together at the block's end) interleave with single rows and still chain by id."""
    from shoudai.audit.service import batched

    def work(n: int) -> None:
        for i in range(10):
            with session_scope(engine) as s:
                if n % 2:
                    record(s, Actor(f"single{n}", "system"), "test.single", object_id=i)
                    continue
                with batched(s):
                    for j in range(7):
                        record(s, Actor(f"batch{n}", "system"), "test.batched", object_id=f"{i}.{j}")
                    assert s.scalar(select(func.count()).select_from(AuditEvent)
                                    .where(AuditEvent.actor == f"batch{n}")) == 7 * i  # held back until the end

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 2 * 10 + 2 * 70
        report = verify_chain(s)
        assert report.ok and report.checked == 160
        batch = s.scalars(select(AuditEvent.object_id).where(AuditEvent.actor == "batch0")
                          .order_by(AuditEvent.id)).all()
        assert batch == [f"{i}.{j}" for i in range(10) for j in range(7)]  # ids follow the order recorded


def test_a_failed_batch_writes_nothing(engine):
    from shoudai.audit.service import batched

    try:
        with session_scope(engine) as s, batched(s):
            record(s, Actor("x", "system"), "test.lost")
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.lost")) == 0
        record(s, Actor("x", "system"), "test.after")  # the session info does not leak a batch into the next one
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.after")) == 1
