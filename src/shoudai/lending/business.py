"""Reads for the business's own status page (Q6), every one limited to one credit code (X1: own business only)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.lending import identity
from shoudai.lending.common import NotFound
from shoudai.lending.models import Need, NeedEvent


@dataclass(frozen=True)
class TimelineEntry:
    """One step on the need's timeline as the business sees it (no staff names: actors stay internal)."""

    at: datetime
    kind: str
    need_bank_id: int | None
    detail: dict


def is_contact(session: Session, uscc: str, phone: str) -> bool:
    """True if `phone` is the contact of one of this business's needs (who may sign in to its status page)."""
    return session.scalar(select(Need.id).where(Need.uscc == uscc, Need.phone_bidx == identity.phone_index(phone))
                          .limit(1)) is not None


def needs_of(session: Session, uscc: str) -> list[Need]:
    """The business's needs, newest first; merged repeats are folded into their target and not listed."""
    return list(session.scalars(select(Need).where(Need.uscc == uscc, Need.merged_into_id.is_(None))
                                .order_by(Need.created_at.desc(), Need.id.desc())))


def need_of(session: Session, uscc: str, ref: str) -> Need:
    """One of the business's needs by reference; another business's need is NotFound, as if it did not exist."""
    need = session.scalar(select(Need).where(Need.ref == (ref or "").strip().upper(), Need.uscc == uscc,
                                             Need.merged_into_id.is_(None)))
    if need is None:
        raise NotFound(f"需求 {ref}")
    return need


def timeline(session: Session, need: Need) -> list[TimelineEntry]:
    """Every step of the need, oldest first."""
    rows = session.scalars(select(NeedEvent).where(NeedEvent.need_id == need.id).order_by(NeedEvent.at, NeedEvent.id))
    return [TimelineEntry(r.at, r.kind, r.need_bank_id, json.loads(r.detail or "{}")) for r in rows]
