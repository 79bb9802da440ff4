"""Banks claim list entries for outreach (exclusive across banks for a period), assign them, release them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.accounts.models import User
from shoudai.accounts.scope import Scope
from shoudai.audit import service as audit
from shoudai.audit.actor import Actor
from shoudai.config import get_settings
from shoudai.outreach.models import ACTIVE, EXPIRED, RELEASED, Claim
from shoudai.outreach.queries import EntryFilter, active_claim, entry_conditions, unclaimed
from shoudai.registry.models import ListEntry, ListVersion

BULK_MAX = 10_000


class OutreachError(ValueError):
    """The action is not possible: a Chinese message, plus a catalogue key so a page can show it in English."""

    def __init__(self, message: str, key: str = "", **params: object):
        super().__init__(message)
        self.key, self.params = key, params


class NotInScope(LookupError):
    """The object does not exist for this user (pages answer 404, never 'exists but not yours')."""


def claim_days() -> int:
    """The exclusive period in days (Settings.claim_days, SHOUDAI_CLAIM_DAYS, default 30)."""
    return get_settings().claim_days


def bank_hq(scope: Scope) -> str:
    """The user's bank code, if the user is a bank HQ (only HQs claim, assign and release)."""
    if scope.role != roles.BANK_HQ or not scope.bank_code:
        raise NotInScope("only a bank HQ user claims")
    return scope.bank_code


def _insert(session: Session):
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(Claim)


def _on_conflict_skip(stmt):
    # The unique partial index on active claims: a row another transaction holds makes ours a no-op, not an error.
    return stmt.on_conflict_do_nothing(index_elements=[Claim.entity_key], index_where=Claim.status == ACTIVE)


def sweep_expired(session: Session, *, actor: Actor, now: datetime, audit_it: bool = True) -> int:
    """Mark every claim past its expiry as expired in one UPDATE; returns how many (0 on a second run).

    Their entries are already back in the pool on read; the sweep makes it explicit and frees the unique index.
    With `audit_it`, every run is recorded, even one that found nothing, so a scheduled sweep shows it ran.
    """
    n = session.execute(
        update(Claim).where(Claim.status == ACTIVE, Claim.expires_at <= now)
        .values(status=EXPIRED, ended_at=Claim.expires_at).execution_options(synchronize_session=False)
    ).rowcount
    if audit_it:
        audit.record(session, actor, "outreach.sweep", object_type="claim", at=now, detail={"expired": n})
    return n


def claim_one(session: Session, scope: Scope, version: ListVersion, entity_key: str, *, actor: Actor,
              now: datetime, days: int | None = None) -> Claim | None:
    """Claim one entry of `version` for the user's bank; None when another bank (or this one) already holds it."""
    bank = bank_hq(scope)
    entry = session.scalar(select(ListEntry).where(ListEntry.version_id == version.id,
                                                   ListEntry.entity_key == entity_key,
                                                   scope.county_filter(ListEntry.county_code)))
    if entry is None:
        raise NotInScope(entity_key)
    expired = sweep_expired(session, actor=actor, now=now, audit_it=False)
    until = now + timedelta(days=days or claim_days())
    stmt = _on_conflict_skip(_insert(session).values(
        entity_key=entity_key, version_id=version.id, year=version.year, county_code=entry.county_code,
        bank_code=bank, claimed_by=actor.username[:64], claimed_at=now, expires_at=until, status=ACTIVE)
    ).returning(Claim.id)
    claim_id = session.execute(stmt).scalar()
    won = claim_id is not None
    claim = session.get(Claim, claim_id) if won else None
    audit.record(session, actor, "outreach.claim", object_type="entity", object_id=entity_key, at=now,
                 outcome="success" if won else "failure",
                 detail={"bank": bank, "year": version.year, "expires_at": until.isoformat(), "swept": expired}
                 | ({} if won else {"reason": "taken"}))
    return claim


def claim_bulk(session: Session, scope: Scope, version: ListVersion, f: EntryFilter, *, actor: Actor,
               now: datetime, limit: int = BULK_MAX, days: int | None = None) -> int:
    """Claim up to `limit` unclaimed entries matching the filter in one INSERT … SELECT; returns how many were won."""
    bank = bank_hq(scope)
    limit = max(0, min(limit, BULK_MAX))
    expired = sweep_expired(session, actor=actor, now=now, audit_it=False)
    until = now + timedelta(days=days or claim_days())
    e = ListEntry
    src = (select(e.entity_key, e.version_id, literal(version.year, Integer), e.county_code,
                  literal(bank, String), literal(actor.username[:64], String), literal(now, DateTime(timezone=True)),
                  literal(until, DateTime(timezone=True)), literal(ACTIVE, String))
           .where(*entry_conditions(scope, version.id, f), unclaimed(now))
           .order_by(e.entity_key).limit(limit))
    stmt = _on_conflict_skip(_insert(session).from_select(
        ["entity_key", "version_id", "year", "county_code", "bank_code", "claimed_by", "claimed_at", "expires_at",
         "status"], src)).returning(Claim.id)
    # RETURNING, not rowcount: drivers disagree on rowcount for INSERT … ON CONFLICT.
    n = len(session.execute(stmt).all())
    audit.record(session, actor, "outreach.claim_bulk", object_type="list_version", object_id=version.year, at=now,
                 detail={"bank": bank, "claimed": n, "limit": limit, "filter": f.params(), "swept": expired,
                         "expires_at": until.isoformat()})
    return n


def assign(session: Session, scope: Scope, claim_ids: list[int], officer_id: int, *, actor: Actor,
           now: datetime) -> int:
    """Assign the bank's live claims to one of its loan officers; returns how many claims were assigned."""
    bank = bank_hq(scope)
    officer = session.get(User, officer_id)
    if officer is None or officer.role != roles.LOAN_OFFICER or officer.bank_code != bank or officer.disabled:
        raise NotInScope(f"officer {officer_id}")
    ids = sorted({int(i) for i in claim_ids})[:BULK_MAX]
    if not ids:
        raise OutreachError("请选择要分配的认领记录", "lists.error.pick_claims")
    done = session.execute(
        update(Claim).where(Claim.id.in_(ids), Claim.bank_code == bank, active_claim(now))
        .values(assigned_to=officer.id, assigned_at=now, branch_code=officer.branch_code).returning(Claim.id)
        .execution_options(synchronize_session=False)
    ).all()
    n = len(done)
    audit.record(session, actor, "outreach.assign", object_type="user", object_id=officer.username, at=now,
                 outcome="success" if n else "failure", detail={"bank": bank, "claims": ids[:200], "assigned": n})
    if n == 0:
        raise NotInScope("no live claim of this bank among the ids")
    return n


def release(session: Session, scope: Scope, claim_id: int, *, actor: Actor, now: datetime) -> Claim:
    """End one of the bank's live claims early: the entry returns to the pool at once."""
    bank = bank_hq(scope)
    claim = session.scalar(select(Claim).where(Claim.id == claim_id, Claim.bank_code == bank, active_claim(now)))
    if claim is None:
        raise NotInScope(f"claim {claim_id}")
    claim.status, claim.ended_at = RELEASED, now
    session.flush()
    audit.record(session, actor, "outreach.release", object_type="entity", object_id=claim.entity_key, at=now,
                 detail={"bank": bank, "claim": claim.id})
    return claim
