"""Idempotent intake for submitting edges (the public API): what a key already holds and whether a retry is the same."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.kit.crypto import decrypt_field
from shoudai.lending import identity
from shoudai.lending.forms import NeedForm
from shoudai.lending.models import Need
from shoudai.lending.service import NAME_CONTEXT


def row_for_key(session: Session, key: str) -> Need | None:
    """The need row written under this Idempotency-Key itself (a merged row too, not the need it folded into)."""
    return session.scalar(select(Need).where(Need.idempotency_key == (key or "").strip()))


def differences(row: Need, form: NeedForm, channel_id: int) -> tuple[str, ...]:
    """Fields of a cleaned form that differ from what the key first recorded (empty = the same submission).

    The one-time code is not part of the comparison: a retry after a wrong code carries a new one.
    """
    theirs = {
        "uscc": row.uscc, "name": row.name, "amount_wan": Decimal(row.amount_wan), "term_months": row.term_months,
        "purpose": row.purpose, "guarantee": row.guarantee, "kind": row.kind,
        "recommend_for_me": bool(row.recommend_for_me), "banks": tuple(json.loads(row.requested_banks or "[]")),
        "contact_phone": row.phone_bidx, "channel": row.channel_id,
    }
    ours = {
        "uscc": form.uscc, "name": form.name, "amount_wan": Decimal(form.amount_wan), "term_months": form.term_months,
        "purpose": form.purpose, "guarantee": form.guarantee, "kind": form.kind,
        "recommend_for_me": bool(form.recommend_for_me), "banks": tuple(form.banks),
        "contact_phone": identity.phone_index(form.contact_phone), "channel": channel_id,
    }
    diff = [k for k in theirs if theirs[k] != ours[k]]
    if decrypt_field(row.contact_name_enc, NAME_CONTEXT) != form.contact_name:
        diff.append("contact_name")
    return tuple(diff)


def acknowledged(row: Need) -> bool:
    """Whether this key's submission already passed verification (so a retry is answered without a new code)."""
    return row.verified_at is not None and row.identity_level >= identity.PHONE


def note_verified(session: Session, row: Need, result: identity.VerificationResult, *, now: datetime) -> None:
    """Mark a merged submission's own row as verified (the need it folded into records the verification itself)."""
    if row.merged_into_id is None or not result.ok:
        return
    row.identity_level, row.identity_method, row.verified_at = result.level, result.method, now
    session.flush()
