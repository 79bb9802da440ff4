"""Authenticate one signed request: a live key, a fresh timestamp, a matching signature never seen before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.accounts.scope import Scope, parse_codes
from shoudai.audit.actor import Actor
from shoudai.bankapi import signing
from shoudai.bankapi.keys import secret_of
from shoudai.bankapi.models import BankApiKey, BankApiNonce, insert_unless_present
from shoudai.kit.crypto import CryptoError
from shoudai.lending.ratelimit import Limit, RateLimiter

# A signature stays valid while its timestamp is within the skew either way, so remember it a little longer.
NONCE_TTL = timedelta(seconds=2 * signing.MAX_SKEW_SECONDS + 60)
LAST_USED_EVERY = timedelta(minutes=1)  # spare a row write per request: last-used is minute-precise
# Per key (OWASP API4): 20 a second sustained is far above what paging 200 needs at a time calls for.
RATE = Limit(1200, timedelta(minutes=1))


class AuthFailed(Exception):
    """The request is not authenticated; `code` is stable for clients, the message is Chinese."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class RateLimited(Exception):
    """The key used up its requests for this window; retry after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"请求过于频繁，请 {retry_after} 秒后重试")
        self.retry_after = retry_after


@dataclass(frozen=True)
class BankPrincipal:
    """Who called: one bank through one key, seen by the services as that bank's HQ."""

    bank_code: str
    key_id: str
    scope: Scope
    actor: Actor


def principal_of(row: BankApiKey, source: str | None) -> BankPrincipal:
    """The bank-HQ-like scope and the audit actor `api:<bank>:<key id>` of a key."""
    actor = Actor(username=f"api:{row.bank_code}:{row.key_id}", role=roles.BANK_HQ, source=source)
    scope = Scope(role=roles.BANK_HQ, bank_code=row.bank_code, county_codes=parse_codes(row.county_codes),
                  username=actor.username)
    return BankPrincipal(row.bank_code, row.key_id, scope, actor)


def authenticate(session: Session, *, key_id: str | None, timestamp: str | None, signature: str | None,
                 method: str, path_and_query: str, body: bytes, now: datetime,
                 source: str | None = None) -> BankPrincipal:
    """Check one request and remember its signature; raises AuthFailed. Run it in its own transaction and commit
    even when the request later fails, so a refused request cannot be replayed until it succeeds."""
    if not (key_id and timestamp and signature):
        raise AuthFailed("unauthenticated", "缺少 X-Api-Key、X-Timestamp 或 X-Signature 请求头")
    row = session.scalar(select(BankApiKey).where(BankApiKey.key_id == key_id.strip()))
    if row is None or row.revoked_at is not None:
        # One answer for unknown and revoked keys: a caller learns nothing about which key ids exist.
        raise AuthFailed("invalid_key", "API 密钥无效或已吊销")
    if not signing.timestamp_fresh(timestamp, now):
        raise AuthFailed("stale_timestamp", "X-Timestamp 与服务器时间相差超过 5 分钟（请使用 Unix 秒并校准时钟）")
    try:
        secret = secret_of(row)
    except CryptoError as exc:
        raise AuthFailed("invalid_key", "API 密钥无效或已吊销") from exc
    if not signing.signature_matches(secret, signature, method, path_and_query, timestamp, body):
        raise AuthFailed("bad_signature", "请求签名不正确")
    _remember(session, row.key_id, signature.strip().lower(), now)
    if row.last_used_at is None or _aware(row.last_used_at) <= now - LAST_USED_EVERY:
        row.last_used_at = now
    session.flush()
    return principal_of(row, source)


def _remember(session: Session, key_id: str, signature: str, now: datetime) -> None:
    """Store the signature; one already stored is a replay (the primary key decides, also between racing requests)."""
    session.execute(delete(BankApiNonce).where(BankApiNonce.key_id == key_id, BankApiNonce.seen_at < now - NONCE_TTL))
    values = {"key_id": key_id, "signature": signature, "seen_at": now}
    if not insert_unless_present(session, BankApiNonce, values, ["key_id", "signature"]):
        raise AuthFailed("replayed", "重复的请求（签名已使用过），请用新的时间戳重新签名")


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive UTC values.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def within_rate(session: Session, principal: BankPrincipal, now: datetime) -> int:
    """Count this request against its key; 0 when allowed, else the seconds to wait. The caller commits either
    way (and then raises RateLimited), so refused requests count and their signatures stay used."""
    decision = RateLimiter(session, now).hit(f"bankapi:{principal.key_id}", RATE)
    return 0 if decision.allowed else decision.retry_after
