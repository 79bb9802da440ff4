"""Enqueue side effects in the caller's transaction; inspect and requeue what the worker could not deliver."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shoudai.kit.writebehind import hold
from shoudai.outbox.models import DEAD, PENDING, SENT, OutboxMessage

WEBHOOK, SMS = "webhook", "sms"
CHANNELS = (WEBHOOK, SMS)


def utc(at: datetime) -> datetime:
    """`at` as aware UTC; naive values (read back from SQLite) are UTC by convention."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def enqueue(session: Session, *, topic: str, channel: str, destination: str, payload: dict[str, Any],
            actor: str, now: datetime) -> OutboxMessage | None:
    """Add one message to the outbox; it leaves only if the caller's transaction commits. Written at the caller's
    next flush (its id too), so the messages of one step go in one insert; inside kit.writebehind's block, held
    until the block ends (and None is returned: the message has no row yet)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    if not actor:
        raise ValueError("actor is required")
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    row = {"topic": topic, "channel": channel, "destination": destination, "payload": text, "status": PENDING,
           "attempts": 0, "next_attempt_at": utc(now), "created_at": utc(now), "created_by": actor[:64]}
    if hold(session, OutboxMessage.__table__, row):
        return None
    msg = OutboxMessage(**row)
    session.add(msg)
    return msg


def counts(session: Session) -> dict[str, int]:
    """How many messages are pending, sent and dead."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    out = {PENDING: 0, SENT: 0, DEAD: 0}
    out.update({status: n for status, n in rows})
    return out


def requeue_dead(session: Session, ids: list[int] | None, *, actor: str, now: datetime) -> int:
    """Give dead messages (all, or `ids`) a fresh set of attempts, e.g. after a bank fixed its endpoint."""
    if not actor:
        raise ValueError("actor is required")
    stmt = update(OutboxMessage).where(OutboxMessage.status == DEAD)
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    result = session.execute(stmt.values(status=PENDING, attempts=0, next_attempt_at=utc(now),
                                         last_error=f"requeued by {actor}"[:500]))
    session.flush()
    return result.rowcount
