"""Trusted identity (Q3): a pluggable verifier; built in, a one-time code by SMS plus a registry cross-check.

The registry stores the legal representative only masked (surname + '*', see pipeline 05_entries.sql), so the
built-in check compares the surname. A verifier reading the unmasked registry can plug in behind the same protocol.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session

from shoudai.config import get_settings
from shoudai.kit.crypto import blind_index, encrypt_field
from shoudai.kit.direct import Direct
from shoudai.kit.masking import surname_of
from shoudai.lending.common import Actorish, actor_name, now_utc, utc
from shoudai.lending.models import OtpChallenge
from shoudai.lending.ratelimit import Limit, RateLimiter
from shoudai.outbox import service as outbox

# Levels reached, in order. The level is stored on the need; pushing needs at least PHONE.
NONE, PHONE, REGISTRY, LICENCE, FACE = 0, 1, 2, 3, 4
LEVEL_NAMES = {NONE: "未认证", PHONE: "手机验证码", REGISTRY: "验证码+登记信息核验", LICENCE: "电子营业执照",
               FACE: "人脸识别"}
OTP_TTL = timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 5
OTP_DIGITS = 6
PHONE_CONTEXT = "need.contact_phone"

# OWASP API6: limits per phone, per source address and per credit code (count, window).
LIMITS = {
    "otp_phone": Limit(5, timedelta(hours=1)),
    "otp_phone_burst": Limit(1, timedelta(seconds=60)),
    "otp_addr": Limit(20, timedelta(hours=1)),
    "otp_uscc": Limit(10, timedelta(hours=1)),
    "verify_phone": Limit(10, timedelta(hours=1)),
}


@dataclass(frozen=True)
class RegistryRecord:
    """What the registry says about a business (for pre-fill and the cross-check)."""

    uscc: str
    name: str
    county_code: str | None
    entity_kind: str | None
    registry_type: str | None
    legal_rep_masked: str | None


RegistryLookup = Callable[[Session, str], RegistryRecord | None]


@functools.cache
def _registry_query():
    """Built once, on first use (the registry models import lending's neighbours, so not at import time)."""
    from shoudai.registry.models import ListEntry, ListVersion

    e, v = ListEntry.__table__.c, ListVersion.__table__.c  # plain columns: read on every submission
    return Direct(select(e.uscc, e.name, e.county_code, e.entity_kind, e.registry_type, e.legal_rep_masked)
                  .join_from(ListEntry.__table__, ListVersion.__table__, v.id == e.version_id)
                  # entity_key is the uscc where there is one (migration 0013), and version_id IN (…) lets the
                  # (version_id, entity_key) unique index serve the probe of each version.
                  .where(e.version_id.in_(select(v.id)), e.entity_key == bindparam("uscc"), e.uscc.is_not(None))
                  .order_by(v.year.desc()).limit(1))


def db_registry_lookup(session: Session, uscc: str) -> RegistryRecord | None:
    """The business as on the newest list version that has it (ListEntry); None if it is on no list."""
    rows = _registry_query().execute(session, {"uscc": uscc})
    return RegistryRecord(*rows[0]) if rows else None


def memoized_lookup(lookup: RegistryLookup = db_registry_lookup) -> RegistryLookup:
    """`lookup` asking the database once per credit code: one request reads its business when recording the need
    and again when verifying; use a fresh one per request, so a later request sees a rebuilt list."""
    seen: dict[str, RegistryRecord | None] = {}

    def cached(session: Session, uscc: str) -> RegistryRecord | None:
        if uscc not in seen:
            seen[uscc] = lookup(session, uscc)
        return seen[uscc]

    return cached


@dataclass(frozen=True)
class IdentityClaim:
    """Who the person at the form says they are."""

    uscc: str
    name: str
    legal_rep: str
    phone: str
    otp_id: int | None = None
    otp_code: str | None = None


@dataclass(frozen=True)
class VerificationResult:
    """The level reached and why not higher (Chinese notes for the person, codes for the API)."""

    level: int
    method: str
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.level >= PHONE


class Verifier(Protocol):
    """Anything that can tell how sure we are that the person acts for the business."""

    name: str

    def verify(self, session: Session, claim: IdentityClaim, *, now: datetime,
               source_addr: str | None = None) -> VerificationResult: ...


class RateLimited(Exception):
    """Too many attempts: `retry_after` seconds until the window resets."""

    def __init__(self, key: str, retry_after: int):
        super().__init__(f"操作过于频繁，请 {retry_after} 秒后再试")
        self.key, self.retry_after = key, retry_after


def normalise_phone(phone: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone or "") if ch.isdigit())
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def phone_index(phone: str) -> str:
    return blind_index("phone:" + normalise_phone(phone))


def _code_hash(challenge_salt: str, code: str) -> str:
    key = get_settings().blind_index_key.encode()
    return hmac.new(key, f"otp|{challenge_salt}|{code}".encode(), hashlib.sha256).hexdigest()


def _check(limiter: RateLimiter, key: str, limit: Limit) -> None:
    decision = limiter.hit(key, limit)
    if not decision.allowed:
        raise RateLimited(key, decision.retry_after)


def issue_otp(session: Session, phone: str, *, uscc: str | None, purpose: str = "need", actor: Actorish,
              source_addr: str | None = None, now: datetime | None = None,
              code_source: Callable[[], str] | None = None) -> OtpChallenge:
    """Create a 6-digit code (only its hash is kept), send it by SMS through the outbox; rate-limited.

    Raises RateLimited; the caller should still commit, so the counted attempt sticks.
    """
    now = now_utc(now)
    phone = normalise_phone(phone)
    if not (len(phone) == 11 and phone.startswith("1")):
        raise ValueError("请输入 11 位手机号")
    bidx = phone_index(phone)
    limiter = RateLimiter(session, now)
    _check(limiter, f"otp_phone_burst:{bidx}", LIMITS["otp_phone_burst"])
    _check(limiter, f"otp_phone:{bidx}", LIMITS["otp_phone"])
    if source_addr:
        _check(limiter, f"otp_addr:{source_addr}", LIMITS["otp_addr"])
    if uscc:
        _check(limiter, f"otp_uscc:{uscc}", LIMITS["otp_uscc"])
    code = (code_source or (lambda: f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"))()
    ch = OtpChallenge(phone_bidx=bidx, purpose=purpose, code_hash="", created_at=now, expires_at=now + OTP_TTL,
                      attempts=0)
    session.add(ch)
    session.flush()
    ch.code_hash = _code_hash(str(ch.id), code)
    outbox.enqueue(session, topic="sms.otp", channel=outbox.SMS, destination="sms", actor=actor_name(actor), now=now,
                   payload={"phone_enc": encrypt_field(phone, PHONE_CONTEXT),
                            "text": f"【首贷通】您的验证码为 {code}，5 分钟内有效。如非本人操作请忽略。"})
    session.flush()
    return ch


def check_otp(session: Session, challenge_id: int, phone: str, code: str, *, now: datetime | None = None
              ) -> tuple[bool, str | None]:
    """(ok, problem code). Wrong codes count; the challenge dies after 5 tries or 5 minutes. Never raises on a
    wrong code, so the caller commits the counted attempt."""
    now = now_utc(now)
    bidx = phone_index(phone)
    # One statement counts the try and consumes a right code, so two concurrent tries cannot both use it.
    good = _code_hash(str(challenge_id), (code or "").strip())
    params = {"challenge": challenge_id, "bidx": bidx, "now": now, "good": good}
    counted = _COUNT_OTP_TRY.execute(session, params)
    if counted:
        consumed_at = counted[0][0]
        return (True, None) if consumed_at is not None else (False, "otp_wrong")
    # Not counted: say why (read afresh: the session may hold the challenge as it was before this statement).
    ch = session.get(OtpChallenge, challenge_id, populate_existing=True)
    if ch is None or ch.phone_bidx != bidx:
        return False, "otp_unknown"
    if ch.consumed_at is not None:
        return False, "otp_used"
    if utc(ch.expires_at) < now:
        return False, "otp_expired"
    return False, "otp_locked"


def _count_otp_try():
    otp = OtpChallenge.__table__.c
    now = bindparam("now", type_=otp.expires_at.type)
    live = (otp.id == bindparam("challenge"), otp.phone_bidx == bindparam("bidx"), otp.consumed_at.is_(None),
            otp.expires_at >= now, otp.attempts < OTP_MAX_ATTEMPTS)
    return (update(OtpChallenge.__table__).where(*live)
            .values(attempts=otp.attempts + 1, consumed_at=case((otp.code_hash == bindparam("good"), now)))
            .returning(otp.consumed_at))


_COUNT_OTP_TRY = Direct(_count_otp_try())


def normalise_name(name: str) -> str:
    """Compare names as a person would: full-width forms folded, spaces dropped, brackets unified."""
    text = unicodedata.normalize("NFKC", name or "")
    return "".join(text.split()).replace("（", "(").replace("）", ")")


def registry_matches(record: RegistryRecord | None, claim: IdentityClaim) -> tuple[str, ...]:
    """Problem codes of the registry cross-check (empty = code, name and legal representative agree)."""
    if record is None:
        return ("registry_unknown",)
    problems = []
    if normalise_name(record.name) != normalise_name(claim.name):
        problems.append("name_mismatch")
    rep = normalise_name(claim.legal_rep)
    stored = (record.legal_rep_masked or "").rstrip("*")
    if not rep or not stored or surname_of(rep)[: len(stored)] != stored:
        problems.append("legal_rep_mismatch")
    return tuple(problems)


class OtpRegistryVerifier:
    """The built-in verifier: one-time code to the phone (PHONE), plus a registry match (REGISTRY)."""

    name = "otp+registry"

    def __init__(self, lookup: RegistryLookup = db_registry_lookup):
        self.lookup = lookup

    def verify(self, session: Session, claim: IdentityClaim, *, now: datetime,
               source_addr: str | None = None) -> VerificationResult:
        """Check the code first (nothing without it), then the registry; rate-limited per phone."""
        limiter = RateLimiter(session, now_utc(now))
        _check(limiter, f"verify_phone:{phone_index(claim.phone)}", LIMITS["verify_phone"])
        if claim.otp_id is None or not claim.otp_code:
            return VerificationResult(NONE, self.name, ("otp_missing",))
        ok, problem = check_otp(session, claim.otp_id, claim.phone, claim.otp_code, now=now)
        if not ok:
            return VerificationResult(NONE, self.name, (problem,))
        problems = registry_matches(self.lookup(session, claim.uscc), claim)
        return VerificationResult(PHONE if problems else REGISTRY, self.name, problems)
