"""The outbox worker: claim due rows, send them, retry with backoff and jitter, give up into 'dead' — never delete."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shoudai.outbox.models import DEAD, PENDING, SENT, OutboxMessage
from shoudai.outbox.service import utc

log = logging.getLogger("shoudai.outbox")

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
# A claim leases the row for this long: a worker that dies mid-send leaves it to be retried after the lease.
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Claimed:
    """A message the worker holds for one attempt (a detached copy of the row)."""

    id: int
    topic: str
    channel: str
    destination: str
    payload: str
    attempts: int  # including this one


Sender = Callable[[Claimed, datetime], None]


@dataclass
class RunStats:
    """What one pass did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, rng: random.Random, *, base: timedelta = BASE_DELAY, cap: timedelta = MAX_DELAY
            ) -> timedelta:
    """Exponential delay after `attempts` failures, capped, with "equal jitter" (half fixed, half random)."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay / 2 + delay * (rng.random() / 2)


def claim(engine: Engine, *, now: datetime, batch: int = 50, lease: timedelta = LEASE) -> list[Claimed]:
    """Take up to `batch` due pending rows in one committed transaction; SKIP LOCKED lets PostgreSQL workers share."""
    now = utc(now)
    with Session(engine) as session, session.begin():
        stmt = (select(OutboxMessage).where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(batch))
        if engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(session.scalars(stmt))
        out = []
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + lease
            out.append(Claimed(row.id, row.topic, row.channel, row.destination, row.payload, row.attempts))
    return out


def _finish(engine: Engine, values_by_id: dict[int, dict]) -> None:
    with Session(engine) as session, session.begin():
        for msg_id, values in values_by_id.items():
            session.execute(update(OutboxMessage).where(OutboxMessage.id == msg_id,
                                                        OutboxMessage.status == PENDING).values(**values))


def run_once(engine: Engine, senders: Mapping[str, Sender], *, now: Callable[[], datetime] | None = None,
             rng: random.Random | None = None, batch: int = 50, max_attempts: int = MAX_ATTEMPTS) -> RunStats:
    """One pass: claim due rows, try each once, record sent / retry-at / dead."""
    clock = now or (lambda: datetime.now(UTC))
    rng = rng or random.Random()
    stats = RunStats()
    claimed = claim(engine, now=clock(), batch=batch)
    stats.claimed = len(claimed)
    for msg in claimed:
        sender = senders.get(msg.channel)
        at = utc(clock())
        try:
            if sender is None:
                raise _Permanent(f"no sender for channel {msg.channel}")
            sender(msg, at)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row, never lost
            retryable = getattr(exc, "retryable", True) and not isinstance(exc, _Permanent)
            error = f"{type(exc).__name__}: {exc}"[:500]
            stats.errors.append(f"#{msg.id} {error}")
            if retryable and msg.attempts < max_attempts:
                _finish(engine, {msg.id: {"next_attempt_at": at + backoff(msg.attempts, rng), "last_error": error}})
                stats.retried += 1
            else:
                _finish(engine, {msg.id: {"status": DEAD, "last_error": error}})
                stats.dead += 1
                log.warning("outbox message %s is dead after %s attempts: %s", msg.id, msg.attempts, error)
            continue
        _finish(engine, {msg.id: {"status": SENT, "sent_at": at, "last_error": None}})
        stats.sent += 1
    return stats


def run_forever(engine: Engine, senders: Mapping[str, Sender], *, stop: threading.Event, poll_seconds: float = 1.0,
                **kwargs) -> None:
    """Keep passing until `stop` is set; sleeps only when a pass found nothing to do."""
    while not stop.is_set():
        try:
            stats = run_once(engine, senders, **kwargs)
        except Exception:
            log.exception("outbox pass failed")
            stats = RunStats()
        if stats.claimed == 0:
            stop.wait(poll_seconds)


class _Permanent(Exception):
    retryable = False
