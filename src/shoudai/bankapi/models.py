"""Tables of the bank API: per-bank keys, recently seen signatures (replay guard), stored answers to writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoudai.db import Base


class BankApiKey(Base):
    """One credential of one bank (a bank may hold several, e.g. during rotation); revoked keys stay for the audit.

    The secret is encrypted with kit/crypto.py (AES-GCM, bound to the key id), not hashed: verifying an HMAC
    signature needs the secret itself on the server, so a one-way hash could never check a request.
    """

    __tablename__ = "bank_api_key"
    __table_args__ = (Index("ix_bank_api_key_bank", "bank_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)  # public, sent as X-Api-Key
    bank_code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(100))
    # The bank's service area for the list pool (comma-separated county codes; empty: the whole city), as for users.
    county_codes: Mapped[str] = mapped_column(String(200), default="")
    secret_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BankApiNonce(Base):
    """A signature already accepted: the same signed request seen again within the window is a replay."""

    __tablename__ = "bank_api_nonce"
    __table_args__ = (Index("ix_bank_api_nonce_seen", "seen_at"),)

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BankApiIdempotency(Base):
    """The answer given to one write (per bank and Idempotency-Key), replayed when the same request comes again."""

    __tablename__ = "bank_api_idempotency"
    __table_args__ = (
        UniqueConstraint("bank_code", "idem_key"),
        Index("ix_bank_api_idempotency_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(32))
    idem_key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and body
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def insert_unless_present(session, model, values: dict, conflict_columns: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row went in. No savepoint: on SQLite a savepoint opened
    before the transaction's first write would commit on release, and on PostgreSQL a failed INSERT would abort
    the whole transaction; the unique index decides between racing requests either way."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
            .returning(*model.__table__.primary_key.columns))  # RETURNING: drivers disagree on rowcount here
    return session.execute(stmt).first() is not None
