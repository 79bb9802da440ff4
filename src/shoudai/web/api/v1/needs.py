"""Reading the needs pushed to the bank: the pull feed (cursor), one need (masked), the full contact (audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from shoudai.audit.pii import RevealRefused
from shoudai.bankapi import feed
from shoudai.web.api.v1.errors import READ_ERRORS, ApiError, BankApiRoute
from shoudai.web.api.v1.schemas import NeedContactOut, RevealIn, Stage, TrackDetailOut, TrackOut, TrackPage
from shoudai.web.api.v1.security import Bank, BankDB
from shoudai.web.deps import Now

router = APIRouter(prefix="/api/v1", tags=["需求对接 Needs"], route_class=BankApiRoute, responses=READ_ERRORS)
TrackId = Annotated[int, Path(ge=1, le=2**53, description="对接记录编号", examples=[1024])]
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


@router.get("/needs", response_model=TrackPage, summary="拉取推送给本行的需求（游标分页）")
def list_needs(bank: Bank, db: BankDB, now: Now,
               stage: Annotated[list[Stage] | None, Query(description="按阶段筛选，可重复")] = None,
               updated_since: Annotated[datetime | None, Query(description="只要此时间之后有变化的（ISO 8601）")] = None,
               cursor: Annotated[str | None, Query(max_length=200, description="上一页的 next_cursor")] = None,
               limit: Annotated[int, Query(ge=1, le=feed.MAX_LIMIT)] = 50) -> TrackPage:
    """Oldest change first. Poll with the last `next_cursor` (or `updated_since`) to get what changed since.
    Changes appear here a few seconds after they happen (so that none is ever skipped); webhooks come at once."""
    if updated_since is not None:
        since = updated_since if updated_since.tzinfo else updated_since.replace(tzinfo=UTC)
        if not EARLIEST <= since <= LATEST:
            raise ApiError(400, "bad_updated_since", "updated_since 超出范围（2000–2100 年）")
    rows, nxt, more = feed.pull(db, bank.bank_code, now=now, stages=tuple(s.value for s in stage or ()),
                          updated_since=updated_since, cursor=cursor, limit=limit)
    return TrackPage(items=[TrackOut(**feed.track_summary(r, n)) for r, n in rows], next_cursor=nxt, has_more=more)


@router.get("/needs/{track_id}", response_model=TrackDetailOut, summary="查看一条需求（联系人脱敏）")
def get_need(track_id: TrackId, bank: Bank, db: BankDB) -> TrackDetailOut:
    """Another bank's need answers 404, exactly like a missing one."""
    return TrackDetailOut(**feed.track_detail(db, track_id, bank.bank_code))


@router.post("/needs/{track_id}/contact", response_model=NeedContactOut,
             responses={409: {"description": "企业已撤回授权"}}, summary="查看完整联系方式（须说明用途，记入审计）")
def reveal_contact(track_id: TrackId, payload: RevealIn, bank: Bank, db: BankDB, now: Now) -> NeedContactOut:
    """As the workbench's reveal. Changes nothing but the audit trail, so no Idempotency-Key: its answer holds
    personal data, which must not be kept in the store of idempotent answers."""
    try:
        name, phone = feed.reveal_contact(db, track_id, bank.bank_code, purpose=payload.purpose, actor=bank.actor,
                                          now=now)
    except RevealRefused as exc:
        raise ApiError(422, "purpose_required", str(exc)) from exc
    return NeedContactOut(contact_name=name, contact_phone=phone)
