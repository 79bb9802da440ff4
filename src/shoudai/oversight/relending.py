"""Re-lending (I2) volumes and the re-discount queue (I3) with the plan's priority order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shoudai.audit.actor import Actor
from shoudai.kit.codes import normalise_uscc
from shoudai.oversight.actors import as_actor, audit, now_utc
from shoudai.oversight.errors import OversightError
from shoudai.oversight.lookups import bank
from shoudai.oversight.models import FirstLoan, RediscountBill

SMALL_FACE_FEN = 2_000_000 * 100  # seed §三(三): 票面金额200万元以下 (2,000,000 yuan) first


@dataclass(frozen=True)
class RelendingRow:
    bank_code: str
    period: str
    loans: int
    amount_fen: int


def relending_volumes(session: Session, year: int) -> list[RelendingRow]:
    """Per bank and month: first loans to listed businesses, eligible for 支小再贷款 support."""
    q = (select(FirstLoan.bank_code, FirstLoan.period, func.count(), func.sum(FirstLoan.amount_fen))
         .where(FirstLoan.relending_eligible.is_(True), FirstLoan.period.between(f"{year}-01", f"{year}-12"))
         .group_by(FirstLoan.bank_code, FirstLoan.period).order_by(FirstLoan.bank_code, FirstLoan.period))
    return [RelendingRow(b, p, int(n), int(s or 0)) for b, p, n, s in session.execute(q)]


def add_bill(session: Session, *, bill_no: str, bank_code: str, drawer_name: str, drawer_uscc: str | None,
             discounter_name: str, discounter_uscc: str | None, face_value_fen: int, issued_on: date, due_on: date,
             discounted_on: date, actor: Actor | str, now: datetime | None = None) -> RediscountBill:
    """Queue a bill a bank submits for re-discount."""
    who, now = as_actor(actor), now_utc(now)
    codes = []
    for raw, label in ((drawer_uscc, "出票人"), (discounter_uscc, "贴现人")):
        code = normalise_uscc(raw) if raw else None
        if raw and code is None:
            raise OversightError(f"{label}统一社会信用代码无效：{raw}")
        codes.append(code)
    if face_value_fen <= 0:
        raise OversightError("票面金额必须大于0")
    if not issued_on <= discounted_on <= due_on:
        raise OversightError("日期应满足：出票日 ≤ 贴现日 ≤ 到期日")
    if not bill_no.strip():
        raise OversightError("票据号码必填")
    bill = RediscountBill(bill_no=bill_no.strip(), bank_code=bank(bank_code).code, drawer_name=drawer_name,
                          drawer_uscc=codes[0], discounter_name=discounter_name, discounter_uscc=codes[1],
                          face_value_fen=face_value_fen, issued_on=issued_on, due_on=due_on,
                          discounted_on=discounted_on, status="queued", created_by=who.username, created_at=now)
    session.add(bill)
    session.flush()
    audit(session, who, "oversight.rediscount.queued", "rediscount_bill", bill.id, {"bill_no": bill.bill_no}, at=now)
    return bill


def priority_class(is_first_loan_sme: bool, face_value_fen: int) -> int:
    """0: a small/micro first-loan business's bill ≤ 2,000,000 yuan; 1: such a bill above it; 2: any other bill."""
    if not is_first_loan_sme:
        return 2
    return 0 if face_value_fen <= SMALL_FACE_FEN else 1


PRIORITY_LABELS = {0: "优先（首贷户，票面200万元以下）", 1: "优先（首贷户）", 2: "一般"}


@dataclass(frozen=True)
class QueuedBill:
    bill: RediscountBill
    priority: int

    @property
    def label(self) -> str:
        return PRIORITY_LABELS[self.priority]


def first_loan_smes(session: Session, usccs: set[str]) -> set[str]:
    """Those of `usccs` that are small/micro first-loan businesses: a counted first loan, borrower on a list.

    The lists hold only small and micro enterprises and individual businesses (L3), so being on one settles the size.
    """
    if not usccs:
        return set()
    q = select(FirstLoan.borrower_uscc).where(FirstLoan.verdict == "first", FirstLoan.list_entry_id.is_not(None),
                                              FirstLoan.borrower_uscc.in_(sorted(usccs)))
    return set(session.scalars(q))


def rediscount_queue(session: Session, status: str = "queued") -> list[QueuedBill]:
    """The queue in the plan's order: first-loan SMEs' bills first, among them ≤ 2,000,000 yuan first, then by date."""
    bills = list(session.scalars(select(RediscountBill).where(RediscountBill.status == status)))
    smes = first_loan_smes(session, {c for b in bills for c in (b.drawer_uscc, b.discounter_uscc) if c})
    queued = [QueuedBill(b, priority_class(b.drawer_uscc in smes or b.discounter_uscc in smes, b.face_value_fen))
              for b in bills]
    return sorted(queued, key=lambda q: (q.priority, q.bill.discounted_on, q.bill.id))


def mark_bill(session: Session, bill_id: int, status: str, *, actor: Actor | str,
              now: datetime | None = None) -> RediscountBill:
    """Record that a bill was re-discounted (done) or refused."""
    who, now = as_actor(actor), now_utc(now)
    if status not in ("done", "refused"):
        raise OversightError("状态应为done或refused")
    bill = session.get(RediscountBill, bill_id)
    if bill is None or bill.status != "queued":
        raise OversightError("该票据不在待办队列中")
    bill.status = status
    session.flush()
    audit(session, who, f"oversight.rediscount.{status}", "rediscount_bill", bill.id, {}, at=now)
    return bill
