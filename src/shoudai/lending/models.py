"""Tables of the lending domain: channels, needs, per-bank tracks, timeline, breaches, OTP, rate limits, webhooks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shoudai.db import Base
from shoudai.outbox import models as outbox_models  # noqa: F401  (the outbox table travels with this domain)

BIG_ID = BigInteger().with_variant(Integer, "sqlite")
WAN = Numeric(14, 2)  # 万元, two decimals = 100 yuan


class Channel(Base):
    """Where a loan code hangs (Q1): every need is attributed to one."""

    __tablename__ = "lending_channel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # slug in the QR URL
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    county_code: Mapped[str | None] = mapped_column(String(6))
    bank_code: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class Need(Base):
    """A business's financing need (Q2), its consent (PIPL Art. 23) and identity level (Q3)."""

    __tablename__ = "need"
    __table_args__ = (Index("ix_need_uscc_created", "uscc", "created_at"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)  # public reference shown to the business
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="first_loan")  # first_loan | renewal (续贷, S1)
    channel_id: Mapped[int] = mapped_column(ForeignKey("lending_channel.id"))
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str | None] = mapped_column(String(6))
    entity_kind: Mapped[str | None] = mapped_column(String(16))
    amount_wan: Mapped[Decimal] = mapped_column(WAN)
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(200))
    guarantee: Mapped[str] = mapped_column(String(100))
    recommend_for_me: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_banks: Mapped[str] = mapped_column(Text)  # JSON list of bank codes as chosen on the form
    contact_name_enc: Mapped[str] = mapped_column(Text)
    contact_phone_enc: Mapped[str] = mapped_column(Text)
    phone_bidx: Mapped[str] = mapped_column(String(64), index=True)
    consent_banks: Mapped[str] = mapped_column(Text)  # JSON list: the recipients named in the consent
    consent_purpose: Mapped[str] = mapped_column(String(200))
    consent_data: Mapped[str] = mapped_column(String(300))
    consent_given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    identity_level: Mapped[int] = mapped_column(Integer, default=0)
    identity_method: Mapped[str | None] = mapped_column(String(32))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # submitted | open | closed | merged
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("need.id"))
    referred_to_centre_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    plan_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # 一企一策 marker (Q7)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(String(500))
    source_addr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NeedBank(Base):
    """One need at one bank: the 211 track (stage, deadlines, breach flags) as the sweep and the queue read it."""

    __tablename__ = "need_bank"
    __table_args__ = (
        UniqueConstraint("need_id", "bank_code"),
        Index("ix_need_bank_queue", "bank_code", "stage"),
        # One partial index per clock: the sweep touches only open, not-yet-breached rows of that stage.
        Index("ix_need_bank_answer_open", "answer_due_at",
              postgresql_where=text("stage = 'pushed' AND NOT answer_breached"),
              sqlite_where=text("stage = 'pushed' AND NOT answer_breached")),
        Index("ix_need_bank_accept_open", "accept_due_at",
              postgresql_where=text("stage = 'conditions_met' AND NOT accept_breached"),
              sqlite_where=text("stage = 'conditions_met' AND NOT accept_breached")),
        Index("ix_need_bank_decide_open", "decide_due_at",
              postgresql_where=text("stage = 'accepted' AND NOT decide_breached"),
              sqlite_where=text("stage = 'accepted' AND NOT decide_breached")),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"))
    bank_code: Mapped[str] = mapped_column(String(32))
    routed_by: Mapped[str] = mapped_column(String(16))  # chosen | recommended | rerouted
    rerouted_from_id: Mapped[int | None] = mapped_column(ForeignKey("need_bank.id"))
    stage: Mapped[str] = mapped_column(String(16))
    pushed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answer_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answer_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    conditions: Mapped[str | None] = mapped_column(Text)  # JSON list: the credit conditions checklist
    conditions_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    conditions_met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accept_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accept_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decide_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decide_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    decline_note: Mapped[str | None] = mapped_column(String(300))
    decline_stage: Mapped[str | None] = mapped_column(String(16))
    disbursed_amount_wan: Mapped[Decimal | None] = mapped_column(WAN)
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    contract_no: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    accept_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    decide_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    warned_clock: Mapped[str | None] = mapped_column(String(8))  # the clock whose due-soon warning went out
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NeedEvent(Base):
    """The timeline of a need: every step, who took it, when (UTC)."""

    __tablename__ = "need_event"
    __table_args__ = (Index("ix_need_event_need_at", "need_id", "at"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"))
    need_bank_id: Mapped[int | None] = mapped_column(ForeignKey("need_bank.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)  # JSON


class Breach(Base):
    """A clock that ran out (Q5): recorded once per track and clock, escalated through the outbox."""

    __tablename__ = "breach"
    __table_args__ = (UniqueConstraint("need_bank_id", "clock"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    need_bank_id: Mapped[int] = mapped_column(ForeignKey("need_bank.id", ondelete="CASCADE"))
    clock: Mapped[str] = mapped_column(String(8))  # answer | accept | decide
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OtpChallenge(Base):
    """A one-time code sent to a phone: only its hash is stored; it expires and allows few attempts."""

    __tablename__ = "otp_challenge"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    phone_bidx: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # need | login
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RateBucket(Base):
    """A fixed-window counter for one key (e.g. 'otp:phone:<bidx>'), OWASP API6."""

    __tablename__ = "rate_bucket"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hits: Mapped[int] = mapped_column(Integer)


class BankEndpoint(Base):
    """A bank's webhook URL and signing secret (encrypted at rest)."""

    __tablename__ = "bank_endpoint"

    bank_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    url: Mapped[str] = mapped_column(String(300))
    secret_enc: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))
