"""Reading the lists (issue 3) as a bank: the pool it may claim from, its live claims, its loan officers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from shoudai.outreach import queries
from shoudai.outreach.queries import EntryFilter
from shoudai.registry.models import ListVersion
from shoudai.web.api.v1.errors import READ_ERRORS, ApiError, BankApiRoute
from shoudai.web.api.v1.schemas import NO_CONTROL
from shoudai.web.api.v1.security import Bank, BankDB
from shoudai.web.deps import Now

router = APIRouter(prefix="/api/v1", tags=["名单认领 Lists and claims"], route_class=BankApiRoute,
                   responses=READ_ERRORS)
Year = Annotated[int | None, Query(ge=2000, le=2100, description="名单年度（缺省：最新）", examples=[2026])]
Page = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=200)]


class EntryOut(BaseModel):
    """One listed business (the legal representative already masked on the list)."""

    entity_key: str = Field(examples=["S410702000001"])
    name: str = Field(examples=["红旗样本商贸有限公司1"])
    list_kind: str = Field(description="sme 中小企业 | individual 个体工商户", examples=["sme"])
    county_code: str = Field(examples=["410702"])
    tier: str = Field(examples=["A"])
    industry_section: str | None = Field(examples=["F"])
    address: str | None = Field(examples=["胜利路1号"])
    legal_rep_masked: str | None = Field(examples=["张*"])
    change: str = Field(description="new 新进入 | carried 上年延续", examples=["new"])


class PoolPage(BaseModel):
    year: int | None
    total: int
    page: int
    items: list[EntryOut]


class ClaimOut(BaseModel):
    id: int = Field(examples=[77])
    entity_key: str = Field(examples=["S410702000001"])
    year: int = Field(examples=[2026])
    county_code: str = Field(examples=["410702"])
    claimed_by: str = Field(examples=["api:ICBC:bk_0123456789abcdef"])
    claimed_at: datetime
    expires_at: datetime
    assigned_to: int | None = Field(description="客户经理用户编号", examples=[None])
    status: str = Field(examples=["active"])
    name: str | None = Field(default=None, examples=["红旗样本商贸有限公司1"])
    tier: str | None = Field(default=None, examples=["A"])
    assignee: str | None = Field(default=None, examples=["李客户经理"])


class ClaimPage(BaseModel):
    total: int
    page: int
    items: list[ClaimOut]


class OfficerOut(BaseModel):
    id: int = Field(examples=[4])
    username: str = Field(examples=["officer"])
    display_name: str = Field(examples=["李客户经理"])
    branch_code: str | None = Field(examples=["ICBC-HQ-01"])


def entry_filter(list_kind: Annotated[Literal["", *queries.KINDS], Query()] = "",
                 tier: Annotated[Literal["", *queries.TIERS], Query()] = "",
                 section: Annotated[str, Query(max_length=1, pattern=r"^[A-Za-z]?$", description="行业门类")] = "",
                 address: Annotated[str, Query(max_length=50, pattern=NO_CONTROL, description="地址或名称包含")] = "",
                 change: Annotated[Literal["", *queries.CHANGES], Query()] = "",
                 county: Annotated[str, Query(pattern=r"^(\d{6})?$", description="县区代码")] = "") -> EntryFilter:
    return EntryFilter(list_kind, tier, section, address, change, county).clean()


def version_or_404(db, year: int | None) -> ListVersion:
    version = queries.pick_version(db, year)
    if version is None:
        raise ApiError(404, "no_list", "该年度名单尚未生成")
    return version


def claim_out(claim, name=None, tier=None, assignee=None) -> ClaimOut:
    return ClaimOut(id=claim.id, entity_key=claim.entity_key, year=claim.year, county_code=claim.county_code,
                    claimed_by=claim.claimed_by, claimed_at=claim.claimed_at, expires_at=claim.expires_at,
                    assigned_to=claim.assigned_to, status=claim.status, name=name, tier=tier, assignee=assignee)


@router.get("/lists/pool", response_model=PoolPage, summary="可认领名单（本行服务区域内、无人认领）")
def pool(bank: Bank, db: BankDB, now: Now, f: Annotated[EntryFilter, Depends(entry_filter)], year: Year = None,
         page: Page = 1, per_page: PerPage = 50) -> PoolPage:
    version = version_or_404(db, year)
    rows, total = queries.pool(db, bank.scope, version.id, f, now, page=page, per_page=per_page)
    items = [EntryOut.model_validate(e, from_attributes=True) for e in rows]
    return PoolPage(year=version.year, total=total, page=page, items=items)


@router.get("/claims", response_model=ClaimPage, summary="本行的有效认领")
def claims(bank: Bank, db: BankDB, now: Now, assigned: Annotated[Literal["", "yes", "no"], Query(
        description="yes 已分配 | no 未分配 | 空 全部")] = "", page: Page = 1, per_page: PerPage = 50) -> ClaimPage:
    rows, total = queries.bank_claims(db, bank.scope, now, assigned=assigned, page=page, per_page=per_page)
    items = [claim_out(c, name, tier, who) for c, name, _county, tier, who in rows]
    return ClaimPage(total=total, page=page, items=items)


@router.get("/officers", response_model=list[OfficerOut], summary="本行的客户经理（用于分配）")
def officers(bank: Bank, db: BankDB) -> list[OfficerOut]:
    return [OfficerOut.model_validate(u, from_attributes=True) for u in queries.bank_officers(db, bank.scope)]
