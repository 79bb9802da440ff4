"""The bank's steps of the 211 workflow: answer, decline, conditions met (or not yet), accept, decide, disburse.

Each is idempotent (Idempotency-Key) and calls the lending domain with the bank's code and the key's actor; the
domain decides what the stage allows.
"""

from __future__ import annotations

from fastapi import APIRouter

from shoudai.bankapi import feed
from shoudai.lending import actions
from shoudai.web.api.v1.errors import WRITE_ERRORS, BankApiRoute
from shoudai.web.api.v1.needs import TrackId
from shoudai.web.api.v1.schemas import (
    AnswerIn,
    DecideIn,
    DeclineIn,
    DisburseIn,
    NoBody,
    RejectClaimIn,
    TrackDetailOut,
)
from shoudai.web.api.v1.security import Write
from shoudai.web.deps import Now

router = APIRouter(prefix="/api/v1/needs/{track_id}", tags=["需求对接 Needs"], route_class=BankApiRoute,
                   responses=WRITE_ERRORS)


def _detail(w, track_id: int) -> TrackDetailOut:
    return TrackDetailOut(**feed.track_detail(w.db, track_id, w.bank.bank_code))


def _who(w) -> dict:
    return {"bank_code": w.bank.bank_code, "actor": w.bank.actor}


@router.post("/answer", response_model=TrackDetailOut, summary="反馈初步意向与授信条件（2 个工作日内）")
def answer(track_id: TrackId, payload: AnswerIn, w: Write, now: Now):
    def act():
        actions.answer(w.db, track_id, payload.conditions, now=now, **_who(w))
        return _detail(w, track_id)
    return w.run(act)


@router.post("/decline", response_model=TrackDetailOut, summary="拒绝（须带拒绝原因代码）")
def decline(track_id: TrackId, payload: DeclineIn, w: Write, now: Now):
    def act():
        actions.decline(w.db, track_id, payload.reason.value, payload.note, now=now, **_who(w))
        return _detail(w, track_id)
    return w.run(act)


@router.post("/conditions-met", response_model=TrackDetailOut,
             summary="授信条件已满足（或确认企业的声明）：受理时钟开始")
def conditions_met(track_id: TrackId, w: Write, now: Now, payload: NoBody = None):
    def act():
        actions.mark_conditions_met(w.db, track_id, now=now, **_who(w))
        return _detail(w, track_id)
    return w.run(act)


@router.post("/reject-claim", response_model=TrackDetailOut, summary="企业称条件已满足，但尚未满足：退回")
def reject_claim(track_id: TrackId, payload: RejectClaimIn, w: Write, now: Now):
    def act():
        actions.reject_claim(w.db, track_id, payload.note, now=now, **_who(w))
        return _detail(w, track_id)
    return w.run(act)


@router.post("/accept", response_model=TrackDetailOut, summary="正式受理（1 个工作日内）")
def accept(track_id: TrackId, w: Write, now: Now, payload: NoBody = None):
    def act():
        actions.accept(w.db, track_id, now=now, **_who(w))
        return _detail(w, track_id)
    return w.run(act)


@router.post("/decide", response_model=TrackDetailOut, summary="审批决定（1 个工作日内）")
def decide(track_id: TrackId, payload: DecideIn, w: Write, now: Now):
    def act():
        actions.decide(w.db, track_id, payload.approved, reason=payload.reason.value if payload.reason else None,
                       note=payload.note, now=now, **_who(w))
        return _detail(w, track_id)
    return w.run(act)


@router.post("/disburse", response_model=TrackDetailOut, summary="放款（金额、日期、合同号）")
def disburse(track_id: TrackId, payload: DisburseIn, w: Write, now: Now):
    def act():
        actions.disburse(w.db, track_id, payload.amount_wan, payload.disbursed_on, payload.contract_no, now=now,
                         **_who(w))
        return _detail(w, track_id)
    return w.run(act)
