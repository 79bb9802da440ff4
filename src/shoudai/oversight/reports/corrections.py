"""Month closing and recorded corrections (T2): after closing, a loan changes only with who, why, before and after."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.audit.actor import Actor
from shoudai.oversight.actors import audit, now_utc, require_admin
from shoudai.oversight.errors import OversightError
from shoudai.oversight.models import FirstLoan, LoanCorrection, MonthClose
from shoudai.oversight.reports.register import Touched, refresh_borrowers
from shoudai.oversight.reports.service import check_row_or_raise, period_of, row_context, snapshot, upsert


def close_month(session: Session, period: str, *, actor: Actor | str, now: datetime | None = None) -> MonthClose:
    """Close a reporting month (city admin only); closing twice is refused."""
    who, now = require_admin(actor, "关闭报送月份"), now_utc(now)
    period = period_of(period)
    if session.get(MonthClose, period) is not None:
        raise OversightError(f"{period}已经关账")
    row = MonthClose(period=period, closed_by=who.username, closed_at=now)
    session.add(row)
    session.flush()
    audit(session, who, "oversight.month.closed", "month", period, {}, at=now)
    return row


def is_closed(session: Session, period: str) -> bool:
    return session.get(MonthClose, period_of(period)) is not None


def correct_loan(session: Session, *, bank_code: str, contract_no: str, values: dict[str, object] | None,
                 reason: str, actor: Actor | str, now: datetime | None = None) -> LoanCorrection:
    """Change, add (new contract) or withdraw (values=None) a loan with a recorded reason (city admin only).

    `values` uses the report's column keys (see reports.spec.COLUMNS: bank, uscc, name, amount …), as in a file row.
    """
    who, now = require_admin(actor, "登记首贷数据更正"), now_utc(now)
    if not (reason or "").strip():
        raise OversightError("更正必须填写原因")
    ctx = row_context(bank_code, None, now)
    loan = session.scalar(select(FirstLoan).where(FirstLoan.bank_code == ctx.bank_code,
                                                  FirstLoan.contract_no == contract_no))
    before = snapshot(loan) if loan is not None else None
    touched = Touched({loan.borrower_key}, {loan.period}) if loan is not None else Touched()
    if values is None:
        if loan is None:
            raise OversightError(f"没有这笔贷款：{contract_no}")
        period = loan.period
        session.delete(loan)
        session.flush()
        after, loan_id = None, None
    else:
        row = check_row_or_raise({"bank": ctx.bank_code, **values, "contract_no": contract_no}, ctx)
        [(_, loan, _change)], more = upsert(session, [row], actor=who.username, now=now, source="correction")
        touched.keys |= more.keys
        touched.periods |= more.periods
        period, after, loan_id = loan.period, snapshot(loan), loan.id
    refresh_borrowers(session, touched, actor=who.username, now=now)
    if after is not None:
        after["verdict"] = loan.verdict
    fix = LoanCorrection(loan_id=loan_id, bank_code=ctx.bank_code, contract_no=contract_no, period=period,
                         reason=reason.strip(), before=_json(before), after=_json(after), actor=who.username, at=now)
    session.add(fix)
    session.flush()
    audit(session, who, "oversight.loan.corrected", "first_loan", loan_id or contract_no,
          {"bank": ctx.bank_code, "contract_no": contract_no, "reason": reason.strip()}, at=now)
    return fix


def corrections(session: Session, period: str | None = None) -> list[LoanCorrection]:
    """Recorded corrections, newest first, optionally of one month."""
    q = select(LoanCorrection).order_by(LoanCorrection.id.desc())
    if period:
        q = q.where(LoanCorrection.period == period_of(period))
    return list(session.scalars(q))


def _json(value: dict | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
