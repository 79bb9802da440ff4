"""What a bank reads over the API: its tracks (pull with a cursor), one track in full with masked contacts."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from shoudai.audit import pii
from shoudai.audit.actor import Actor
from shoudai.kit.crypto import CryptoError, decrypt_field
from shoudai.kit.masking import mask_name, mask_phone
from shoudai.lending import actions, notify, sla
from shoudai.lending.common import LendingError, loads_list
from shoudai.lending.models import Need, NeedBank, NeedEvent
from shoudai.lending.service import NAME_CONTEXT, PHONE_CONTEXT, shares_with
from shoudai.lending.tracks import to_track

MAX_LIMIT = 200
# A change stamped at time t may commit a moment later (a request's clock is read when it starts): the feed holds
# back the last few seconds, so a cursor never passes a change that had not yet committed when it was handed out.
SETTLE = timedelta(seconds=5)


class BadCursor(ValueError):
    """The cursor was not made by this API (or was altered)."""


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def encode_cursor(row: NeedBank) -> str:
    """An opaque position after `row` in (updated_at, id) order."""
    return base64.urlsafe_b64encode(f"{_utc(row.updated_at).isoformat()}|{row.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, ident = raw.split("|", 1)
        position = _utc(datetime.fromisoformat(at)), int(ident)
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as exc:
        raise BadCursor("cursor 无效") from exc
    if not 0 <= position[1] < 2**63:  # a forged id beyond BIGINT would fail in the database, not here
        raise BadCursor("cursor 无效")
    return position


def pull(session: Session, bank_code: str, *, now: datetime, stages: tuple[str, ...] = (),
         updated_since: datetime | None = None, cursor: str | None = None, limit: int = 50) -> tuple[list[tuple[NeedBank, Need]], str | None, bool]:
    """The bank's tracks changed since a point, oldest change first: (rows, cursor after them, more waiting?).

    The cursor is a position in (updated_at, id) order: a track updated again moves behind it and is delivered once
    more, never skipped. At the end the cursor still points after the last row, so a poller keeps it and asks again.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    stmt = (select(NeedBank, Need).join(Need, Need.id == NeedBank.need_id)
            .where(NeedBank.bank_code == bank_code, NeedBank.updated_at <= _utc(now) - SETTLE).order_by(NeedBank.updated_at, NeedBank.id).limit(limit + 1))
    if stages:
        stmt = stmt.where(NeedBank.stage.in_(stages))
    if updated_since is not None:
        stmt = stmt.where(NeedBank.updated_at >= _utc(updated_since))
    if cursor:
        at, ident = decode_cursor(cursor)
        stmt = stmt.where(or_(NeedBank.updated_at > at, and_(NeedBank.updated_at == at, NeedBank.id > ident)))
    rows = [tuple(r) for r in session.execute(stmt).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1][0]) if rows else cursor), more


def track_summary(row: NeedBank, need: Need) -> dict[str, Any]:
    """A track as the list shows it: no personal data (the contact is in the single-track answer only)."""
    track = to_track(row)
    return {
        "id": row.id, "need_ref": need.ref, "stage": row.stage, "stage_text": notify.stage_text(row),
        "uscc": need.uscc, "name": need.name, "county_code": need.county_code, "kind": need.kind,
        "amount_wan": str(need.amount_wan), "term_months": need.term_months, "purpose": need.purpose,
        "guarantee": need.guarantee, "identity_level": need.identity_level, "routed_by": row.routed_by,
        "pushed_at": _utc(row.pushed_at), "due_at": track.deadline.due_at if track.deadline else None,
        "due_provisional": bool(track.deadline and track.deadline.provisional),
        "breached_clocks": [c for c in sla.CLOCKS if getattr(row, f"{c}_breached")],
        "conditions": list(track.conditions), "decline_reason": row.decline_reason,
        "disbursed_amount_wan": None if row.disbursed_amount_wan is None else str(row.disbursed_amount_wan),
        "disbursed_on": row.disbursed_on, "contract_no": row.contract_no,
        "consent_withdrawn": need.consent_withdrawn_at is not None, "updated_at": _utc(row.updated_at),
    }


def track_detail(session: Session, track_id: int, bank_code: str) -> dict[str, Any]:
    """One of the bank's tracks with the contact masked as for a bank HQ user, and its timeline (NotFound otherwise)."""
    row = actions.get_track(session, track_id, bank_code=bank_code)
    need = session.get(Need, row.need_id)
    out = track_summary(row, need)
    out["contact_name"] = out["contact_phone"] = None
    if shares_with(need, bank_code):  # PIPL: only a bank the consent names, and only while it stands
        out["contact_name"] = mask_name(_plain(need.contact_name_enc, NAME_CONTEXT))
        out["contact_phone"] = mask_phone(_plain(need.contact_phone_enc, PHONE_CONTEXT))
    out["consent_banks"] = loads_list(need.consent_banks)
    out["events"] = [{"kind": e.kind, "at": _utc(e.at)} for e in session.scalars(
        select(NeedEvent).where(NeedEvent.need_bank_id == row.id).order_by(NeedEvent.at, NeedEvent.id))]
    return out


def reveal_contact(session: Session, track_id: int, bank_code: str, *, purpose: str, actor: Actor,
                   now: datetime) -> tuple[str | None, str | None]:
    """The contact in full, as the workbench's reveal: a stated purpose, audited, only while the consent stands.
    Raises NotFound (another bank's), LendingError (consent withdrawn) or pii.RevealRefused (no purpose)."""
    row = actions.get_track(session, track_id, bank_code=bank_code)
    need = session.get(Need, row.need_id)
    if not shares_with(need, bank_code):
        raise LendingError("consent_withdrawn", "企业已撤回授权，不能查看联系方式")
    pii.reveal(session, actor, kind="contact", value=None, purpose=purpose, object_type="need_bank",
               object_id=row.id, at=now)
    return _plain(need.contact_name_enc, NAME_CONTEXT), _plain(need.contact_phone_enc, PHONE_CONTEXT)


def _plain(token: str, context: str) -> str | None:
    try:
        return decrypt_field(token, context)
    except CryptoError:
        return None  # a value under a key no longer on the ring shows as absent, not as an error
