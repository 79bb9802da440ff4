"""Loan officers record each contact with a claimed business: outcome, note, next follow-up date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.accounts.scope import Scope
from shoudai.audit import service as audit
from shoudai.audit.actor import Actor
from shoudai.outreach.claims import NotInScope, OutreachError
from shoudai.outreach.models import OUTCOMES, Claim, Contact
from shoudai.outreach.queries import active_claim

NOTE_MAX = 1000


def record_contact(session: Session, scope: Scope, entity_key: str, *, outcome: str, note: str = "",
                   next_follow_up: date | None = None, today: date | None = None, actor: Actor,
                   now: datetime) -> Contact:
    """Record a contact on the bank's live claim: a loan officer only on claims assigned to it, a bank HQ on any."""
    if scope.role not in (roles.LOAN_OFFICER, roles.BANK_HQ) or not scope.bank_code:
        raise NotInScope(entity_key)
    claim = session.scalar(select(Claim).where(Claim.entity_key == entity_key, Claim.bank_code == scope.bank_code,
                                               scope.assignee_filter(Claim.assigned_to), active_claim(now)))
    if claim is None:
        raise NotInScope(entity_key)
    if outcome not in OUTCOMES:
        raise OutreachError("请选择联系结果", "lists.error.outcome")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise OutreachError(f"备注不超过{NOTE_MAX}字", "lists.error.note_long", n=NOTE_MAX)
    if next_follow_up is not None and today is not None and next_follow_up < today:
        raise OutreachError("下次跟进日期不能早于今天", "lists.error.follow_past")
    contact = Contact(entity_key=entity_key, claim_id=claim.id, bank_code=scope.bank_code, officer_id=scope.user_id,
                      officer=actor.username[:64], outcome=outcome, note=note, next_follow_up=next_follow_up, at=now)
    session.add(contact)
    session.flush()
    audit.record(session, actor, "outreach.contact", object_type="entity", object_id=entity_key, at=now,
                 detail={"bank": scope.bank_code, "outcome": outcome, "contact": contact.id,
                         "next_follow_up": next_follow_up.isoformat() if next_follow_up else None})
    return contact
