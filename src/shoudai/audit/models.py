"""The audit table: one row per action, each row hashing the previous one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shoudai.db import Base


class AuditEvent(Base):
    """Who did what to which object, when (UTC), from where, with what outcome. Never updated; purged only past 180 days."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_actor_at", "actor", "at"),
        Index("ix_audit_event_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))  # username, or "system:<what>"
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))  # e.g. login.success, user.disable, audit.export
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))  # client address
    outcome: Mapped[str] = mapped_column(String(16))  # success | failure | denied
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    # Unique: two rows can never claim the same predecessor, so the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    row_hash: Mapped[str] = mapped_column(String(64))
