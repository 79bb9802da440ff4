"""A branch's pool: a bank HQ puts live claims in one of its branches' pools; an officer of that branch takes them.

Issue 3 (X1): "a loan officer sees only what is assigned to it and its branch pool". The pool is the claims with
`branch_code` set and `assigned_to` empty; taking one sets `assigned_to`, so it leaves the pool for the officer's queue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.accounts.models import User
from shoudai.accounts.scope import Scope
from shoudai.audit import service as audit
from shoudai.audit.actor import Actor
from shoudai.outreach.claims import BULK_MAX, NotInScope, OutreachError, bank_hq
from shoudai.outreach.models import Claim
from shoudai.outreach.queries import active_claim, page_of
from shoudai.registry.models import ListEntry


def _ids(claim_ids: list[int]) -> list[int]:
    ids = sorted({int(i) for i in claim_ids})[:BULK_MAX]
    if not ids:
        raise OutreachError("请选择要分配的认领记录", "lists.error.pick_claims")
    return ids


def _officer_branch(scope: Scope) -> tuple[str, str]:
    if scope.role != roles.LOAN_OFFICER or not scope.bank_code or not scope.branch_code or scope.user_id is None:
        raise NotInScope("only a loan officer with a branch has a branch pool")
    return scope.bank_code, scope.branch_code


def bank_branches(session: Session, scope: Scope) -> list[str]:
    """The branch codes of a bank HQ's bank: those its enabled loan officers work at (branches have no table)."""
    if scope.role != roles.BANK_HQ or not scope.bank_code:
        return []
    return list(session.scalars(
        select(User.branch_code).where(User.role == roles.LOAN_OFFICER, User.bank_code == scope.bank_code,
                                       User.disabled.is_(False), User.branch_code.is_not(None))
        .distinct().order_by(User.branch_code)))


def assign_to_branch(session: Session, scope: Scope, claim_ids: list[int], branch_code: str, *, actor: Actor,
                     now: datetime) -> int:
    """Put the bank's live claims in one of its branches' pools (taking them off any officer); returns how many."""
    bank = bank_hq(scope)
    if branch_code not in bank_branches(session, scope):
        raise NotInScope(f"branch {branch_code}")
    ids = _ids(claim_ids)
    n = len(session.execute(
        update(Claim).where(Claim.id.in_(ids), Claim.bank_code == bank, active_claim(now))
        .values(branch_code=branch_code, assigned_to=None, assigned_at=None).returning(Claim.id)
        .execution_options(synchronize_session=False)).all())
    audit.record(session, actor, "outreach.assign_branch", object_type="branch", object_id=branch_code, at=now,
                 outcome="success" if n else "failure", detail={"bank": bank, "claims": ids[:200], "pooled": n})
    if n == 0:
        raise NotInScope("no live claim of this bank among the ids")
    return n


def take(session: Session, scope: Scope, claim_ids: list[int], *, actor: Actor, now: datetime) -> int:
    """An officer takes claims from its branch's pool; returns how many it got (0: a colleague was first)."""
    bank, branch = _officer_branch(scope)
    ids = _ids(claim_ids)
    mine = and_(Claim.id.in_(ids), Claim.bank_code == bank, Claim.branch_code == branch, active_claim(now))
    # Out of scope (another bank or branch, or no such claim) is 404; in the branch but already taken is "too late".
    if not session.scalar(select(func.count()).where(mine)):
        raise NotInScope(f"claims {ids[:5]}")
    # `assigned_to IS NULL` in the UPDATE itself: of two officers taking at once, the second updates nothing.
    n = len(session.execute(
        update(Claim).where(mine, Claim.assigned_to.is_(None))
        .values(assigned_to=scope.user_id, assigned_at=now).returning(Claim.id)
        .execution_options(synchronize_session=False)).all())
    audit.record(session, actor, "outreach.take", object_type="branch", object_id=branch, at=now,
                 outcome="success" if n else "failure", detail={"bank": bank, "claims": ids[:200], "taken": n})
    return n


def pool(session: Session, scope: Scope, now: datetime, *, page: int = 1, per_page: int = 50) -> tuple[list, int]:
    """The officer's branch pool: (Claim, name, county, tier, list kind), soonest expiry first."""
    try:
        bank, branch = _officer_branch(scope)
    except NotInScope:
        return [], 0
    stmt = (select(Claim, ListEntry.name, ListEntry.county_code, ListEntry.tier, ListEntry.list_kind)
            .join(ListEntry, and_(ListEntry.version_id == Claim.version_id, ListEntry.entity_key == Claim.entity_key))
            .where(Claim.bank_code == bank, Claim.branch_code == branch, Claim.assigned_to.is_(None),
                   active_claim(now))
            .order_by(Claim.expires_at, Claim.id))
    return page_of(session, stmt, page=page, per_page=per_page)


def pool_sizes(session: Session, scope: Scope, now: datetime) -> dict[str, int]:
    """branch → live claims waiting in its pool: a bank HQ sees all its branches, an officer its own."""
    if scope.role not in (roles.BANK_HQ, roles.LOAN_OFFICER) or not scope.bank_code:
        return {}
    rows = session.execute(
        select(Claim.branch_code, func.count())
        .where(Claim.bank_code == scope.bank_code, scope.branch_filter(Claim.branch_code),
               Claim.branch_code.is_not(None), Claim.assigned_to.is_(None), active_claim(now))
        .group_by(Claim.branch_code).order_by(Claim.branch_code))
    return dict(rows.all())
