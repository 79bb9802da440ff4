"""Needs (Q2–Q4): submit once (idempotent, merged within 30 days), verify, push to banks with their clocks."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, false, insert, literal_column, select, text, true, union_all
from sqlalchemy.orm import Session, make_transient_to_detached

from shoudai.accounts.enterprise import ensure_enterprise_account
from shoudai.kit import direct
from shoudai.kit.calendar import WorkCalendar
from shoudai.kit.crypto import encrypt_field
from shoudai.kit.direct import Direct
from shoudai.lending import identity, notify, routing, sla
from shoudai.lending.channels import get_channel
from shoudai.lending.common import (
    Actorish,
    LendingError,
    NotFound,
    actor_name,
    audit,
    dumps,
    loads_list,
    now_utc,
    record_event,
    utc,
)
from shoudai.lending.forms import CONSENT_DATA, CONSENT_PURPOSE, NeedForm, clean
from shoudai.lending.models import Channel, Need, NeedBank
from shoudai.lending.ratelimit import Limit, RateLimiter
from shoudai.lending.tracks import PlainTrack, new_plain_row
from shoudai.reference.calendar_store import load_calendar

MERGE_WINDOW = timedelta(days=30)
# New submissions (retries with a known key are free): per business and per source address.
SUBMIT_LIMITS = {"uscc": Limit(10, timedelta(days=1)), "addr": Limit(30, timedelta(hours=1))}
SUBMITTED, OPEN, CLOSED, MERGED = "submitted", "open", "closed", "merged"
REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
NAME_CONTEXT = "need.contact_name"
PHONE_CONTEXT = identity.PHONE_CONTEXT


@dataclass(frozen=True)
class SubmitResult:
    """The need the business now has; `created` False on a retry, `merged` True if folded into an open need."""

    need: Need
    created: bool
    merged: bool
    verification: identity.VerificationResult | None = None  # checked before the insert (see submit_need)


@dataclass(frozen=True)
class PushResult:
    """What verification reached and which banks got the need."""

    verification: identity.VerificationResult
    pushed_to: tuple[str, ...]


def new_ref() -> str:
    return "XQ" + "".join(secrets.choice(REF_ALPHABET) for _ in range(10))


def get_need(session: Session, ref: str) -> Need:
    need = session.scalar(select(Need).where(Need.ref == ref))
    if need is None:
        raise NotFound(f"需求 {ref}")
    return need


def tracks_of(session: Session, need: Need) -> list[NeedBank]:
    return list(session.scalars(select(NeedBank).where(NeedBank.need_id == need.id).order_by(NeedBank.id)))


def _key_and_open_need_query():
    """Two index probes in one statement: the need under this key (unique key), and the business's newest open need
    of the window (uscc, created_at). As one OR, PostgreSQL's cached generic plan scanned the whole table. The
    statuses are inline constants: an IN of bound values is re-rendered on every execution."""
    t = Need.__table__
    key, uscc, since = bindparam("key"), bindparam("uscc"), bindparam("since", type_=t.c.created_at.type)
    by_key = select(t.c.id, true().label("mine"), false().label("open")).where(t.c.idempotency_key == key)
    newest_open = (select(t.c.id, false().label("mine"), true().label("open"))
                   .where(t.c.uscc == uscc, t.c.created_at >= since,
                          t.c.status.in_([literal_column(f"'{SUBMITTED}'"), literal_column(f"'{OPEN}'")]),
                          t.c.merged_into_id.is_(None), t.c.idempotency_key != key)
                   .order_by(t.c.created_at.desc()).limit(1).subquery())
    return union_all(by_key, select(newest_open))


# Statements run on every submission are built once (building one per call cost about as much as running it) and
# run as kit.direct statements: plain table statements, on the driver's cursor, with no ORM or Core step per call.
_KEY_AND_OPEN_NEED = Direct(_key_and_open_need_query())
_LOCK_BUSINESS = Direct(text("SELECT pg_advisory_xact_lock(hashtext(:k))"))
_NEED_COLUMNS = [c.key for c in Need.__table__.c if not c.primary_key]
_INSERT_NEED = Direct(insert(Need.__table__).returning(Need.__table__.c.id), column_keys=_NEED_COLUMNS)


def _key_and_open_need(session: Session, key: str, uscc: str, now: datetime) -> tuple[int | None, int | None]:
    """(the need recorded under this key, the business's open need of the last 30 days) in one read of ids.

    Plain table columns, not ORM entities: this runs on every submission and usually finds neither.
    """
    rows = _KEY_AND_OPEN_NEED.execute(session, {"key": key, "uscc": uscc, "since": now - MERGE_WINDOW})
    by_key = next((row_id for row_id, mine, _ in rows if mine), None)
    return by_key, next((row_id for row_id, mine, is_open in rows if is_open and not mine), None)


def _lock_business(session: Session, uscc: str) -> None:
    # Two simultaneous submissions from one business must not both open a need: serialise them per code (SQLite
    # serialises all writers).
    if session.get_bind().dialect.name == "postgresql":
        _LOCK_BUSINESS.execute(session, {"k": "need:" + uscc}, fetch=False)


def submit_need(session: Session, form: NeedForm, *, channel: str | Channel, idempotency_key: str,
                actor: Actorish, now: datetime | None = None, source_addr: str | None = None,
                registry: identity.RegistryLookup = identity.db_registry_lookup,
                verify: Callable[[], identity.VerificationResult] | None = None) -> SubmitResult:
    """Record a need from the form (unverified until verify_and_push). Retries with the same key return the same
    need; a second need from the same business within 30 days is merged into the open one.

    `verify`, for a caller that holds the one-time code already (the public API): a new need that is not merged is
    verified before it is written, and written as verified and open, so the caller's `open_verified` only adds the
    tracks (one INSERT of the need instead of an INSERT and an UPDATE). The result is in `verification`."""
    now = now_utc(now)
    key = (idempotency_key or "").strip()
    if not 8 <= len(key) <= 100:
        raise LendingError("idempotency_key", "Idempotency-Key 须为 8–100 个字符")
    f = clean(form)
    # Serialise the business's submissions first: then a retry racing its original finds the committed row here,
    # never a duplicate key at the insert (only a client reusing one key for two businesses could still hit that).
    with direct.pipeline(session):  # the lock and the read in one round trip (the read still runs after the lock)
        _lock_business(session, f.uscc)
        found_id, open_id = _key_and_open_need(session, key, f.uscc, now)
    if found_id is not None:
        return _retry_result(session, session.get(Need, found_id))
    ch = channel if isinstance(channel, Channel) else get_channel(session, channel)
    _limit_submissions(session, f.uscc, source_addr, now)
    record = registry(session, f.uscc)
    county = record.county_code if record else (ch.county_code or None)
    chosen = list(f.banks) or routing.recommend(f.uscc, county, f.amount_wan, term_months=f.term_months,
                                                guarantee=f.guarantee)
    values = {
        "ref": new_ref(), "idempotency_key": key, "kind": f.kind, "channel_id": ch.id, "uscc": f.uscc,
        "name": f.name, "county_code": county, "entity_kind": record.entity_kind if record else None,
        "amount_wan": f.amount_wan, "term_months": f.term_months, "purpose": f.purpose, "guarantee": f.guarantee,
        "recommend_for_me": f.recommend_for_me, "requested_banks": dumps(list(f.banks)),
        "contact_name_enc": encrypt_field(f.contact_name, NAME_CONTEXT),
        "contact_phone_enc": encrypt_field(f.contact_phone, PHONE_CONTEXT),
        "phone_bidx": identity.phone_index(f.contact_phone), "consent_banks": dumps(chosen),
        "consent_purpose": CONSENT_PURPOSE, "consent_data": CONSENT_DATA, "consent_given_at": now,
        "identity_level": identity.NONE, "status": SUBMITTED, "source_addr": source_addr, "created_at": now,
        "created_by": actor_name(actor), "updated_at": now,
    }
    target = session.get(Need, open_id) if open_id is not None else None
    if target is not None:
        values.update(status=MERGED, merged_into_id=target.id)
    verification = verify() if verify is not None and target is None else None
    if verification is not None and verification.level > identity.NONE:
        values.update(identity_level=verification.level, identity_method=verification.method, verified_at=now)
        if verification.ok:
            values["status"] = OPEN  # pushed by the caller in this transaction (open_verified)
    need = _insert_need(session, values)
    if target is None:
        record_event(session, need_id=need.id, kind="submitted", actor=actor, at=now, channel=ch.code,
                     banks=chosen, recommended=f.recommend_for_me)
        if verification is not None:
            _record_verification(session, need, verification, actor=actor, now=now)
        return SubmitResult(need, created=True, merged=False, verification=verification)
    _merge(session, target, need, chosen, actor=actor, now=now)
    return SubmitResult(target, created=True, merged=True)


def _insert_need(session: Session, values: dict) -> Need:
    """One plain INSERT … RETURNING id; the need is then attached as persistent and clean, as a flush leaves it.

    Every column is given (None where unset), so no attribute is left unloaded for a later read to fetch."""
    row = {key: values.get(key) for key in _NEED_COLUMNS}
    need = Need(id=_INSERT_NEED.execute(session, row)[0][0], **row)
    make_transient_to_detached(need)
    session.add(need)
    return need


def _limit_submissions(session: Session, uscc: str, source_addr: str | None, now: datetime) -> None:
    """Form spam (OWASP API6): raises identity.RateLimited; the edge commits anyway so the count sticks."""
    keys = [(f"submit_uscc:{uscc}", SUBMIT_LIMITS["uscc"])]
    if source_addr:
        keys.append((f"submit_addr:{source_addr}", SUBMIT_LIMITS["addr"]))
    for (key, _), decision in zip(keys, RateLimiter(session, now).hit_all(keys), strict=True):
        if not decision.allowed:
            raise identity.RateLimited(key, decision.retry_after)


def _retry_result(session: Session, found: Need) -> SubmitResult:
    if found.merged_into_id is not None:
        return SubmitResult(session.get(Need, found.merged_into_id), created=False, merged=True)
    return SubmitResult(found, created=False, merged=False)


def _merge(session: Session, target: Need, dup: Need, chosen: list[str], *, actor: Actorish, now: datetime) -> None:
    """Fold a repeat submission into the open need: an unpushed one takes the newer details, a pushed one notes them."""
    detail = {"merged_ref": dup.ref, "amount_wan": str(dup.amount_wan), "term_months": dup.term_months,
              "purpose": dup.purpose, "banks": chosen}
    if target.status == SUBMITTED:
        for col in ("amount_wan", "term_months", "purpose", "guarantee", "recommend_for_me", "requested_banks",
                    "contact_name_enc", "contact_phone_enc", "phone_bidx", "consent_banks", "consent_given_at",
                    "channel_id", "kind"):
            setattr(target, col, getattr(dup, col))
        target.updated_at = now
    record_event(session, need_id=target.id, kind="merged", actor=actor, at=now, **detail)
    session.flush()


def verify_and_push(session: Session, need: Need, claim: identity.IdentityClaim, *, verifier: identity.Verifier,
                    actor: Actorish, now: datetime | None = None, cal: WorkCalendar | None = None,
                    source_addr: str | None = None) -> PushResult:
    """Verify the person (level recorded), then push the need to its consented banks with their answer clocks.

    A failed check returns (does not raise) so the caller commits the counted attempt.
    """
    now = now_utc(now)
    if need.status == MERGED:
        need = session.get(Need, need.merged_into_id)
    if claim.uscc != need.uscc:
        raise LendingError("identity_mismatch", "核验的信用代码与需求不一致")
    if identity.phone_index(claim.phone) != need.phone_bidx:
        raise LendingError("identity_mismatch", "核验的手机号与需求联系人不一致")
    result = verifier.verify(session, claim, now=now, source_addr=source_addr)
    _record_verification(session, need, result, actor=actor, now=now)
    if result.level > need.identity_level:
        need.identity_level, need.identity_method, need.verified_at = result.level, result.method, now
    if not result.ok:
        session.flush()
        return PushResult(result, ())
    return PushResult(result, open_verified(session, need, phone=claim.phone, actor=actor, now=now, cal=cal))


def _record_verification(session: Session, need: Need, result: identity.VerificationResult, *, actor: Actorish,
                         now: datetime) -> None:
    record_event(session, need_id=need.id, kind="verification", actor=actor, at=now, level=result.level,
                 method=result.method, problems=list(result.problems))


def open_verified(session: Session, need: Need, *, phone: str, actor: Actorish, now: datetime,
                  cal: WorkCalendar | None = None, first_push: bool | None = None) -> tuple[str, ...]:
    """After a passed verification: the business's account exists (Q4), and the need is pushed to its banks
    (`first_push` as for `push`; True for a need submit_need wrote already verified and open)."""
    with session.no_autoflush:  # the need's changes wait for the push's own flush: one UPDATE, not two
        user_id, created = ensure_enterprise_account(session, uscc=need.uscc, name=need.name, phone=phone,
                                                     actor=actor_name(actor), now=now)
    if created:
        audit(session, actor, "account.enterprise_created", object_type="user", object_id=user_id, at=now,
              detail={"need": need.ref})
    return push(session, need, actor=actor, now=now, cal=cal, first_push=first_push)


def push(session: Session, need: Need, *, actor: Actorish, now: datetime | None = None,
         cal: WorkCalendar | None = None, first_push: bool | None = None) -> tuple[str, ...]:
    """Create the tracks for every consented bank not yet pushed; SMS the business, webhook each bank.

    `first_push`: the caller knows the need has no tracks yet (default: it has none while still submitted)."""
    now = now_utc(now)
    if need.identity_level < identity.PHONE:
        raise LendingError("not_verified", "需求尚未完成身份核验，不能推送")
    if need.consent_withdrawn_at is not None:
        raise LendingError("consent_withdrawn", "企业已撤回授权，不能推送")
    # Tracks exist only once a need was pushed (which opens it): a first push has nothing to read.
    first_push = need.status == SUBMITTED if first_push is None else first_push
    if need.status != OPEN or need.updated_at != now:  # a need written open just now (the public API) stays clean
        need.status, need.updated_at = OPEN, now  # before any read: a verification's changes and this, one UPDATE
    cal = cal or load_calendar(session)
    have = set() if first_push else {r.bank_code for r in tracks_of(session, need)}
    new = [b for b in loads_list(need.consent_banks) if b not in have]
    routed_by = "recommended" if need.recommend_for_me else "chosen"
    rows = [new_plain_row(need.id, b, at=now, cal=cal, routed_by=routed_by) for b in new]
    if rows:  # one plain INSERT … RETURNING for all of them; the rows stay plain objects (nothing reads them back)
        ids = {bank: row_id for row_id, bank in _insert_tracks(len(rows)).execute(session, _track_values(rows))}
        for row in rows:
            row.id = ids[row.bank_code]
    for row in rows:
        record_event(session, need_id=need.id, need_bank_id=row.id, kind="pushed", actor=actor, at=now,
                     bank=row.bank_code, answer_due_at=utc(row.answer_due_at).isoformat(),
                     provisional=row.answer_due_provisional)
    notify.webhooks(session, need, rows, topic="need.pushed", actor=actor, now=now)
    if rows:
        names = "、".join(notify.bank_name(r.bank_code) for r in rows)
        notify.sms(session, need, f"您的融资需求（{need.ref}）已推送至{names}，银行将在 2 个工作日内反馈。",
                   topic="sms.need_pushed", actor=actor, now=now)
    session.flush()
    return tuple(r.bank_code for r in rows)


_TRACK_COLUMNS = [c for c in NeedBank.__table__.c if not c.primary_key]
_TRACK_KEYS = [c.key for c in _TRACK_COLUMNS]


@functools.cache
def _insert_tracks(n: int) -> Direct:
    """One INSERT of n tracks, every column given, returning (id, bank code): a need has one track per bank."""
    t = NeedBank.__table__
    values = [{c.key: bindparam(f"{c.key}_{i}", type_=c.type) for c in _TRACK_COLUMNS} for i in range(n)]
    return Direct(insert(t).values(values).returning(t.c.id, t.c.bank_code))


def _track_values(rows: list[PlainTrack]) -> dict:
    """The new rows' column values as _insert_tracks binds them."""
    return {f"{key}_{i}": getattr(row, key) for i, row in enumerate(rows) for key in _TRACK_KEYS}


def shares_with(need: Need, bank_code: str) -> bool:
    """Whether the business's consent currently covers showing its contact details to `bank_code`."""
    return need.consent_withdrawn_at is None and bank_code in loads_list(need.consent_banks)


def refresh_status(session: Session, need: Need, now: datetime) -> None:
    """A pushed need closes when every track is closed and no onward route is pending."""
    rows = tracks_of(session, need)
    if need.status == OPEN and rows and all(r.stage in sla.TERMINAL for r in rows):
        need.status, need.updated_at = CLOSED, now
