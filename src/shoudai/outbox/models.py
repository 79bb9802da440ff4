"""The outbox table: one row per side effect (SMS, webhook), written in the transaction that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shoudai.db import Base

PENDING, SENT, DEAD = "pending", "sent", "dead"


class OutboxMessage(Base):
    """A message to send: pending until sent, or dead after too many attempts. Rows are never deleted by the worker."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The worker's claim: due pending rows in order. Partial, so sent rows cost nothing.
        Index("ix_outbox_message_due", "next_attempt_at", postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))  # e.g. need.pushed, sms.need_received, breach
    channel: Mapped[str] = mapped_column(String(16))  # webhook | sms
    destination: Mapped[str] = mapped_column(String(300))  # bank code for webhooks; phone blind index for SMS
    payload: Mapped[str] = mapped_column(Text)  # JSON
    status: Mapped[str] = mapped_column(String(8), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Also the lease: claiming a row pushes this forward, so a worker that dies mid-send leaves it due again later.
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
