"""Tables of outreach: a bank's claim on a listed business, and each contact its officers make."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shoudai.db import Base
from shoudai.registry.models import code_string

ACTIVE, RELEASED, EXPIRED = "active", "released", "expired"
OUTCOMES = ("有需求", "暂无需求", "暂不符合条件", "无法联系")


class Claim(Base):
    """A bank's exclusive hold on one business for outreach; at most one active row per entity (the unique index)."""

    __tablename__ = "outreach_claim"
    __table_args__ = (
        # The race guard: two banks inserting the same entity at once, the second's insert finds this row.
        Index("uq_outreach_claim_active", "entity_key", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_outreach_claim_bank", "bank_code", "status", "assigned_to"),
        Index("ix_outreach_claim_expiry", "status", "expires_at"),
        Index("ix_outreach_claim_entity", "entity_key"),
        # The branch pool: an officer lists its branch's live, not-yet-taken claims.
        Index("ix_outreach_claim_branch", "bank_code", "branch_code", "status"),
        # A bank's claims and an officer's queue in page order (soonest expiring first): see migration 0015.
        Index("ix_outreach_claim_bank_order", "bank_code", "status", "expires_at", "id"),
        Index("ix_outreach_claim_assignee_order", "assigned_to", "status", "expires_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_key: Mapped[str] = mapped_column(code_string(32))
    version_id: Mapped[int] = mapped_column(ForeignKey("list_version.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    county_code: Mapped[str] = mapped_column(String(6))
    bank_code: Mapped[str] = mapped_column(String(32))
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The branch whose pool holds the claim (set by "assign to a branch pool", or the assignee's branch).
    branch_code: Mapped[str | None] = mapped_column(String(32))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(8))  # active | released | expired
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Contact(Base):
    """One contact a bank's officer made with a listed business, its outcome and the next follow-up."""

    __tablename__ = "outreach_contact"
    __table_args__ = (
        Index("ix_outreach_contact_entity", "entity_key"),
        Index("ix_outreach_contact_bank", "bank_code", "outcome"),
        # A claim's latest contact (the officer's queue): the last entry of one index range.
        Index("ix_outreach_contact_claim", "claim_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_key: Mapped[str] = mapped_column(code_string(32))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("outreach_claim.id"))
    bank_code: Mapped[str] = mapped_column(String(32))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    officer: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    next_follow_up: Mapped[date | None] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
