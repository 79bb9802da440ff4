"""A bank's writes on the lists: claim one or in bulk, release, assign to an officer, record a contact."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, StringConstraints

from shoudai.kit.calendar import shanghai_date
from shoudai.outreach import claims, contacts
from shoudai.outreach.models import OUTCOMES
from shoudai.outreach.queries import CHANGES, KINDS, TIERS, EntryFilter
from shoudai.web.api.v1.errors import WRITE_ERRORS, ApiError, BankApiRoute
from shoudai.web.api.v1.lists import ClaimOut, claim_out, version_or_404
from shoudai.web.api.v1.schemas import NO_CONTROL, NoBody
from shoudai.web.api.v1.security import Write
from shoudai.web.deps import Now

router = APIRouter(prefix="/api/v1", tags=["名单认领 Lists and claims"], route_class=BankApiRoute,
                   responses=WRITE_ERRORS)
EntityKey = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
DbInt = Annotated[int, Field(ge=1, le=2**31 - 1)]
YearField = Annotated[int | None, Field(default=None, ge=2000, le=2100, description="名单年度（缺省：最新）")]


class ClaimIn(BaseModel):
    entity_key: EntityKey = Field(examples=["S410702000001"])
    year: YearField = None


class BulkClaimIn(BaseModel):
    """Claim every unclaimed entry matching the filter (up to `limit`) in one statement."""

    year: YearField = None
    list_kind: Literal["", *KINDS] = ""
    tier: Literal["", *TIERS] = ""
    section: Annotated[str, StringConstraints(max_length=1, pattern=r"^[A-Za-z]?$")] = ""
    address: Annotated[str, StringConstraints(max_length=50, pattern=NO_CONTROL)] = ""
    change: Literal["", *CHANGES] = ""
    county: Annotated[str, StringConstraints(pattern=r"^(\d{6})?$")] = Field(default="", examples=["410702"])
    limit: int = Field(default=claims.BULK_MAX, ge=1, le=claims.BULK_MAX)


class CountOut(BaseModel):
    count: int = Field(examples=[20])


class AssignIn(BaseModel):
    claim_ids: list[DbInt] = Field(min_length=1, max_length=claims.BULK_MAX, examples=[[77, 78]])
    officer_id: DbInt = Field(description="客户经理用户编号（见 GET /api/v1/officers）", examples=[4])


class ContactIn(BaseModel):
    outcome: Literal[*OUTCOMES] = Field(examples=[OUTCOMES[0]])
    note: Annotated[str, StringConstraints(max_length=contacts.NOTE_MAX, pattern=NO_CONTROL)] = ""
    next_follow_up: date | None = Field(default=None, examples=["2026-03-20"])


class OutreachContactOut(BaseModel):
    id: int
    entity_key: str
    claim_id: int | None
    outcome: str
    note: str
    next_follow_up: date | None
    officer: str


@router.post("/claims", response_model=ClaimOut, status_code=201, summary="认领一户（独占期内他行不可认领）")
def claim_one(payload: ClaimIn, w: Write, now: Now):
    def act():
        version = version_or_404(w.db, payload.year)
        claim = claims.claim_one(w.db, w.bank.scope, version, payload.entity_key, actor=w.bank.actor, now=now)
        if claim is None:
            raise ApiError(409, "taken", "该企业已被认领（他行或本行）")
        return claim_out(claim)
    return w.run(act, status=201)


@router.post("/claims/bulk", response_model=CountOut, summary="按筛选条件批量认领")
def claim_bulk(payload: BulkClaimIn, w: Write, now: Now):
    def act():
        version = version_or_404(w.db, payload.year)
        f = EntryFilter(payload.list_kind, payload.tier, payload.section, payload.address, payload.change,
                        payload.county).clean()
        n = claims.claim_bulk(w.db, w.bank.scope, version, f, actor=w.bank.actor, now=now, limit=payload.limit)
        return CountOut(count=n)
    return w.run(act)


@router.post("/claims/assign", response_model=CountOut, summary="分配给本行客户经理")
def assign(payload: AssignIn, w: Write, now: Now):
    def act():
        n = claims.assign(w.db, w.bank.scope, payload.claim_ids, payload.officer_id, actor=w.bank.actor, now=now)
        return CountOut(count=n)
    return w.run(act)


@router.post("/claims/{claim_id}/release", response_model=ClaimOut, summary="释放认领（企业回到各行可认领名单）")
def release(claim_id: Annotated[int, Path(ge=1, le=2**31 - 1)], w: Write, now: Now,
            payload: NoBody = None):
    def act():
        return claim_out(claims.release(w.db, w.bank.scope, claim_id, actor=w.bank.actor, now=now))
    return w.run(act)


@router.post("/entities/{entity_key}/contacts", response_model=OutreachContactOut, status_code=201,
             summary="记录一次走访/联系（本行有效认领的企业）")
def record_contact(entity_key: Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")], payload: ContactIn,
                   w: Write, now: Now):
    def act():
        c = contacts.record_contact(w.db, w.bank.scope, entity_key, outcome=payload.outcome, note=payload.note,
                                    next_follow_up=payload.next_follow_up, today=shanghai_date(now), actor=w.bank.actor,
                                    now=now)
        return OutreachContactOut(id=c.id, entity_key=c.entity_key, claim_id=c.claim_id, outcome=c.outcome, note=c.note,
                          next_follow_up=c.next_follow_up, officer=c.officer)
    return w.run(act, status=201)
