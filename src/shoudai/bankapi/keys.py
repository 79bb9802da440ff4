"""Issue, list and revoke a bank's API keys; every change is audited. Services flush, the caller commits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.accounts.scope import parse_codes
from shoudai.audit.actor import Actor
from shoudai.audit.service import record
from shoudai.bankapi.models import BankApiKey
from shoudai.kit.crypto import decrypt_field, encrypt_field
from shoudai.reference.loaders import banks

KEY_PREFIX = "bk_"
SECRET_CONTEXT = "bank_api_key.secret"


class KeyRefused(ValueError):
    """The key cannot be issued or revoked (message in Chinese)."""


@dataclass(frozen=True)
class IssuedKey:
    """A new key: the secret is here once and never shown again."""

    key_id: str
    bank_code: str
    secret: str


def _actor(actor: Actor | str) -> Actor:
    return actor if isinstance(actor, Actor) else Actor(username=actor, role="system")


def _context(key_id: str) -> str:
    # Bound as associated data: a secret copied onto another key's row does not decrypt there.
    return f"{SECRET_CONTEXT}|{key_id}"


def issue_key(session: Session, bank_code: str, *, label: str = "", counties: str = "", actor: Actor | str,
              now: datetime) -> IssuedKey:
    """A new key for `bank_code` (a known bank); the secret is returned once and stored encrypted."""
    bank_code = (bank_code or "").strip().upper()
    if bank_code not in {b.code for b in banks()}:
        raise KeyRefused(f"未知的银行代码：{bank_code}")
    codes = parse_codes(counties)
    if any(not (len(c) == 6 and c.isdigit()) for c in codes):
        raise KeyRefused("县区代码应为6位数字")
    key_id = KEY_PREFIX + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)  # 256 bits
    row = BankApiKey(key_id=key_id, bank_code=bank_code, label=(label or "").strip()[:100],
                     county_codes=",".join(codes), secret_enc=encrypt_field(secret, _context(key_id)),
                     created_at=now, created_by=_actor(actor).username[:64])
    session.add(row)
    session.flush()
    record(session, _actor(actor), "bankapi.key_issued", object_type="bank_api_key", object_id=key_id, at=now,
           detail={"bank": bank_code, "label": row.label, "counties": row.county_codes})
    return IssuedKey(key_id, bank_code, secret)


def revoke_key(session: Session, key_id: str, *, actor: Actor | str, now: datetime,
               bank_code: str | None = None) -> BankApiKey:
    """Revoke a key at once (idempotent); with `bank_code`, only that bank's key."""
    row = session.scalar(select(BankApiKey).where(BankApiKey.key_id == key_id))
    if row is None or (bank_code is not None and row.bank_code != bank_code):
        raise KeyRefused(f"密钥 {key_id} 不存在")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = now, _actor(actor).username[:64]
        session.flush()
        record(session, _actor(actor), "bankapi.key_revoked", object_type="bank_api_key", object_id=key_id, at=now,
               detail={"bank": row.bank_code})
    return row


def list_keys(session: Session, bank_code: str | None = None) -> list[BankApiKey]:
    """Keys (revoked ones included), per bank, newest first."""
    stmt = select(BankApiKey).order_by(BankApiKey.bank_code, BankApiKey.created_at.desc(), BankApiKey.id.desc())
    if bank_code:
        stmt = stmt.where(BankApiKey.bank_code == bank_code.strip().upper())
    return list(session.scalars(stmt))


def secret_of(row: BankApiKey) -> str:
    """The key's secret, decrypted to check a signature."""
    return decrypt_field(row.secret_enc, _context(row.key_id))
