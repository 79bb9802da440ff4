"""POST /api/v1/first-loans: one loan from a bank, idempotent by the Idempotency-Key header (T2).

Session-authenticated for bank users for now (send the X-CSRF-Token header); per-bank API keys come later.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shoudai.accounts import roles
from shoudai.oversight.errors import IdempotencyConflict, MonthClosed, OversightError
from shoudai.oversight.reports.service import submit_loan
from shoudai.web.deps import DB, CurrentUser, Now, require_roles

router = APIRouter(prefix="/api/v1", tags=["oversight"])
BankUser = Annotated[CurrentUser, Depends(require_roles(roles.BANK_HQ, roles.LOAN_OFFICER))]


class SubmitOut(BaseModel):
    loan_id: int
    change: str  # inserted | updated | unchanged
    verdict: str  # first | not_first
    findings: list[str]
    replayed: bool


@router.post("/first-loans", response_model=SubmitOut, status_code=201,
             responses={200: {"model": SubmitOut}, 409: {}, 422: {}})
def submit_first_loan(cu: BankUser, db: DB, now: Now, payload: Annotated[dict[str, Any], Body()],
                      idempotency_key: Annotated[str, Header()] = "") -> Any:
    """Check and record one loan for the caller's own bank; a replay with the same key and body answers the same.

    409: the key was used for another body, or the month is closed; 422: the loan is invalid (Chinese reasons).
    Raising rolls the request's transaction back, so a refused loan leaves nothing behind.
    """
    # The bank is the caller's: a body naming another bank fails the row check (与报送银行不一致).
    body = {"bank": cu.scope.bank_code, **payload}
    try:
        res = submit_loan(db, body, bank_code=cu.scope.bank_code,
                          idempotency_key=idempotency_key, actor=cu.actor, now=now)
    except (IdempotencyConflict, MonthClosed) as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except OversightError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    out = SubmitOut(loan_id=res.loan_id, change=res.change, verdict=res.verdict,
                    findings=[f for f in res.findings if f], replayed=res.replayed)
    status = 201 if res.change == "inserted" and not res.replayed else 200
    return JSONResponse(out.model_dump(), status_code=status)
