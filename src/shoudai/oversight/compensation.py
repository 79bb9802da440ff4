"""Guarantee and risk compensation (I4): losses on guaranteed first loans raise claims at the configured share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from shoudai.audit.actor import Actor
from shoudai.oversight.actors import as_actor, audit, now_utc, require_admin
from shoudai.oversight.errors import OversightError
from shoudai.oversight.lookups import bank
from shoudai.oversight.models import CompensationClaim, CompensationRule, FirstLoan
from shoudai.oversight.money import round_half_up
from shoudai.oversight.reports.spec import GOV_GUARANTEE


def set_share(session: Session, year: int, share: Decimal, *, note: str = "", actor: Actor | str,
              now: datetime | None = None) -> CompensationRule:
    """The share of a loss compensated for losses reported in `year` (0 < share ≤ 1), city admin only."""
    who, now = require_admin(actor, "设置风险补偿比例"), now_utc(now)
    share = Decimal(share)
    if not Decimal(0) < share <= Decimal(1):
        raise OversightError("补偿比例应大于0且不超过1（如0.3表示30%）")
    row = session.get(CompensationRule, year) or CompensationRule(year=year)
    before = row.share
    row.share, row.note, row.updated_by, row.updated_at = str(share), note, who.username, now
    session.add(row)
    session.flush()
    audit(session, who, "oversight.compensation.rule", "compensation_rule", year,
          {"before": before, "after": str(share)}, at=now)
    return row


def report_loss(session: Session, *, bank_code: str, contract_no: str, loss_fen: int, reported_on: date,
                actor: Actor | str, now: datetime | None = None) -> CompensationClaim:
    """A bank reports a loss on a first loan under 政府性融资担保: a pending claim at the year's share."""
    who, now = as_actor(actor), now_utc(now)
    code = bank(bank_code).code
    loan = session.scalar(select(FirstLoan).where(FirstLoan.bank_code == code, FirstLoan.contract_no == contract_no))
    if loan is None:
        raise OversightError(f"没有这笔贷款：{contract_no}")
    if loan.guarantee_type != GOV_GUARANTEE or not loan.guarantor:
        raise OversightError("只有政府性融资担保的首贷可申请风险补偿")
    if loan.verdict != "first":
        raise OversightError("该笔贷款不计为首贷，不在风险补偿范围内")
    if not 0 < loss_fen <= loan.amount_fen:
        raise OversightError("损失金额应大于0且不超过贷款金额")
    open_claim = session.scalar(select(CompensationClaim.id).where(
        CompensationClaim.loan_id == loan.id, CompensationClaim.status.in_(("pending", "approved"))))
    if open_claim is not None:
        raise OversightError("该笔贷款已有待审批或已批准的补偿申请")
    rule = session.get(CompensationRule, reported_on.year)
    if rule is None:
        raise OversightError(f"{reported_on.year}年尚未配置风险补偿比例")
    share = Decimal(rule.share)
    claim = CompensationClaim(loan_id=loan.id, bank_code=code, guarantor=loan.guarantor, loss_fen=loss_fen,
                              share=rule.share, claim_fen=int(round_half_up(loss_fen * share)),
                              reported_on=reported_on, status="pending", reported_by=who.username, created_at=now)
    session.add(claim)
    session.flush()
    audit(session, who, "oversight.compensation.claimed", "compensation_claim", claim.id,
          {"contract_no": contract_no, "loss_fen": loss_fen, "claim_fen": claim.claim_fen}, at=now)
    return claim


def decide_claim(session: Session, claim_id: int, *, approve: bool, note: str = "", actor: Actor | str,
                 now: datetime | None = None) -> CompensationClaim:
    """The city admin approves or rejects a pending claim."""
    who, now = require_admin(actor, "审批风险补偿"), now_utc(now)
    claim = session.get(CompensationClaim, claim_id)
    if claim is None or claim.status != "pending":
        raise OversightError("该补偿申请不存在或已审批")
    if not approve and not note.strip():
        raise OversightError("不予补偿须说明理由")
    claim.status = "approved" if approve else "rejected"
    claim.decided_by, claim.decided_at, claim.decision_note = who.username, now, note.strip() or None
    session.flush()
    audit(session, who, f"oversight.compensation.{claim.status}", "compensation_claim", claim.id,
          {"claim_fen": claim.claim_fen, "note": note}, at=now)
    return claim


@dataclass(frozen=True)
class LedgerRow:
    bank_code: str
    guarantor: str
    loans: int
    amount_fen: int
    avg_fee_e4: int | None  # amount-weighted mean guarantee fee rate, 0.0001 %
    loss_fen: int
    pending_fen: int
    approved_fen: int


def ledger(session: Session) -> list[LedgerRow]:
    """Per bank and guarantor: guaranteed first loans, amount, fee rate, losses, claims pending and approved."""
    loans_q = (select(FirstLoan.bank_code, FirstLoan.guarantor, func.count(), func.sum(FirstLoan.amount_fen),
                      func.sum(FirstLoan.amount_fen * FirstLoan.guarantee_fee_e4),
                      func.sum(case((FirstLoan.guarantee_fee_e4.is_not(None), FirstLoan.amount_fen), else_=0)))
               .where(FirstLoan.verdict == "first", FirstLoan.guarantee_type == GOV_GUARANTEE)
               .group_by(FirstLoan.bank_code, FirstLoan.guarantor))
    claims_q = (select(CompensationClaim.bank_code, CompensationClaim.guarantor,
                       func.sum(case((CompensationClaim.status != "rejected", CompensationClaim.loss_fen), else_=0)),
                       func.sum(case((CompensationClaim.status == "pending", CompensationClaim.claim_fen), else_=0)),
                       func.sum(case((CompensationClaim.status == "approved", CompensationClaim.claim_fen), else_=0)))
                .group_by(CompensationClaim.bank_code, CompensationClaim.guarantor))
    claims = {(b, g): (int(x or 0), int(y or 0), int(z or 0)) for b, g, x, y, z in session.execute(claims_q)}
    out = []
    for b, g, n, amount, weighted, fee_base in session.execute(loans_q):
        avg = int(round_half_up(Decimal(int(weighted)) / int(fee_base))) if fee_base else None
        out.append(LedgerRow(b, g, int(n), int(amount), avg, *claims.get((b, g), (0, 0, 0))))
    return sorted(out, key=lambda r: (r.bank_code, r.guarantor))
