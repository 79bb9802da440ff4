"""Submissions prepared for a load (benchmark, no-loss test): a channel, one business per submission, and its
one-time code issued beforehand through the domain (identity.issue_otp), so the load measures submission, not SMS."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from stdnum.cn import uscc as stdnum_uscc

from shoudai.db import session_scope
from shoudai.lending import channels, identity
from shoudai.lending.models import Channel

CHANNEL = "bench-poster"
CODE = "246810"  # every prepared challenge gets this code (each is salted by its own id)
ACTOR = "system:bench"
BANK_CHOICES = (("HXRCB", "PSBC"), ("ICBC",), ("XXRCB", "CCB", "ZYB"), ())  # () = "recommend for me"


@dataclass(frozen=True)
class Business:
    uscc: str
    name: str
    legal_rep: str


@dataclass(frozen=True)
class Submission:
    """One request to send: the body, its Idempotency-Key and the client address it comes from."""

    key: str
    body: dict
    addr: str


def made_up_business(n: int) -> Business:
    """A valid credit code that no list holds (the registry cross-check then stays at phone level)."""
    first17 = f"92410782MB{n:07d}"
    return Business(first17 + stdnum_uscc.calc_check_digit(first17), f"辉县市压测商行{n}", "王小明")


def ensure_channel(engine: Engine) -> None:
    with session_scope(engine) as s:
        if s.query(Channel).filter_by(code=CHANNEL).first() is None:
            channels.create_channel(s, code=CHANNEL, name="首贷宣传海报（压测）", kind="poster_campaign",
                                    county_code="410782", actor=ACTOR)


def prepare(engine: Engine, businesses: Iterable[Business], *, tag: str, batch: int = 500) -> list[Submission]:
    """One submission per business: a distinct phone and address, its challenge issued now (valid 5 minutes)."""
    out: list[Submission] = []
    pending: list[tuple[int, Business, str]] = []

    def flush() -> None:
        with session_scope(engine) as s:
            now = datetime.now(UTC)
            for i, biz, phone in pending:
                ch = identity.issue_otp(s, phone, uscc=None, actor=ACTOR, now=now, code_source=lambda: CODE)
                out.append(_submission(i, biz, phone, ch.id, tag))
        pending.clear()

    for i, biz in enumerate(businesses):
        pending.append((i, biz, f"15{i % 10**9:09d}"))
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return out


def _submission(i: int, biz: Business, phone: str, challenge_id: int, tag: str) -> Submission:
    banks = BANK_CHOICES[i % len(BANK_CHOICES)]
    body = {"uscc": biz.uscc, "name": biz.name, "amount_wan": str(20 + i % 280), "term_months": 12,
            "purpose": "购置原材料及流动资金周转", "guarantee": "credit", "contact_name": biz.legal_rep,
            "contact_phone": phone, "banks": list(banks), "recommend_for_me": not banks, "consent": True,
            "channel": CHANNEL, "legal_rep": biz.legal_rep, "otp_challenge_id": challenge_id, "otp_code": CODE}
    addr = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    return Submission(f"{tag}-{i:08d}", body, addr)


def prepare_bulk(url: str, businesses: list[Business], *, tag: str) -> list[Submission]:
    """As `prepare`, for tens of thousands: the challenges are written with COPY, each hashed by the domain's own
    function (identity._code_hash), so verification checks them exactly as issued ones; no SMS, no rate counters."""
    import psycopg

    n = len(businesses)
    now = datetime.now(UTC)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn, conn.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence('otp_challenge', 'id')) FROM generate_series(1, %s)", (n,))
        ids = [r[0] for r in cur.fetchall()]
        phones = [f"15{i % 10**9:09d}" for i in range(n)]
        with cur.copy("COPY otp_challenge (id, phone_bidx, purpose, code_hash, created_at, expires_at, attempts) "
                      "FROM STDIN") as cp:
            for cid, phone in zip(ids, phones, strict=True):
                cp.write_row((cid, identity.phone_index(phone), "need", identity._code_hash(str(cid), CODE), now,
                              now + identity.OTP_TTL, 0))
    return [_submission(i, biz, phone, cid, tag) for i, (biz, phone, cid) in enumerate(zip(businesses, phones, ids))]
