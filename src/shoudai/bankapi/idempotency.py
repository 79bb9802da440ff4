"""Idempotent writes: the first answer to (bank, Idempotency-Key) is stored and replayed for the same request.

The key row is inserted before the write runs, in the write's own transaction: a failed write rolls the row back
(the bank may retry with the same key), and two racing requests with one key meet at the unique constraint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shoudai.bankapi.models import BankApiIdempotency, insert_unless_present

KEEP = timedelta(hours=24)  # after a day a key may be used again (clients retry within minutes, not days)
PENDING = 0
KEY_MIN, KEY_MAX = 8, 100


class IdempotencyRefused(Exception):
    """The key is missing or malformed (`missing`), was used for another request (`conflict`), or is in flight."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Stored:
    """A stored answer to replay."""

    status_code: int
    body: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests 'the same': method, path (with any query) and the exact body bytes."""
    return hashlib.sha256(method.upper().encode() + b" " + path.encode() + b"\n" + (body or b"")).hexdigest()


def check_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        raise IdempotencyRefused("idempotency_key_missing", "写操作必须带 Idempotency-Key 请求头")
    if not (KEY_MIN <= len(key) <= KEY_MAX and key.isascii() and key.isprintable()):
        raise IdempotencyRefused("idempotency_key_invalid", f"Idempotency-Key 须为 {KEY_MIN}–{KEY_MAX} 个可见 ASCII 字符")
    return key


def begin(session: Session, bank_code: str, key: str, fp: str, *, key_id: str, now: datetime
          ) -> tuple[Stored | None, BankApiIdempotency | None]:
    """(stored answer, None) for a replay; (None, claimed row) for a new request; raises on a conflict."""
    key = check_key(key)
    found = _find(session, bank_code, key)
    if found is not None and _utc(found.created_at) <= now - KEEP:
        session.delete(found)
        session.flush()
        found = None
    if found is None:
        values = {"bank_code": bank_code, "idem_key": key, "fingerprint": fp, "status_code": PENDING,
                  "response_body": "", "key_id": key_id, "created_at": now}
        if insert_unless_present(session, BankApiIdempotency, values, ["bank_code", "idem_key"]):
            return None, _find(session, bank_code, key)
        found = _find(session, bank_code, key)  # a racing request with this key committed first
        if found is None:
            raise IdempotencyRefused("idempotency_in_progress", "同一 Idempotency-Key 的请求正在处理，请稍后重试")
    return _replay(found, fp), None


def finish(session: Session, row: BankApiIdempotency, status_code: int, body: str) -> None:
    """Store the answer with the write it describes (same transaction)."""
    row.status_code, row.response_body = status_code, body
    session.flush()


def prune(session: Session, now: datetime) -> int:
    """Forget answers older than KEEP (the CLI runs it; lookups ignore old rows anyway)."""
    return session.execute(delete(BankApiIdempotency).where(BankApiIdempotency.created_at < now - KEEP)).rowcount or 0


def _find(session: Session, bank_code: str, key: str) -> BankApiIdempotency | None:
    return session.scalar(select(BankApiIdempotency).where(BankApiIdempotency.bank_code == bank_code,
                                                           BankApiIdempotency.idem_key == key))


def _replay(found: BankApiIdempotency, fp: str) -> Stored:
    if found.fingerprint != fp:
        raise IdempotencyRefused("idempotency_conflict", "该 Idempotency-Key 已用于另一个不同的请求")
    if found.status_code == PENDING:
        raise IdempotencyRefused("idempotency_in_progress", "同一 Idempotency-Key 的请求正在处理，请稍后重试")
    return Stored(found.status_code, found.response_body)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at
