"""The loan register's derived facts: first-loan verdicts per borrower, list conversions, per-loan findings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from shoudai.oversight.lookups import LIST_KIND_NAMES, bank_names, unit_names
from shoudai.oversight.models import FirstLoan, ListConversion
from shoudai.oversight.summary import refresh_summary
from shoudai.registry.models import ListEntry

_REGISTER_LOCK = 0x5D_F157  # arbitrary constant naming "the first-loan register"
FIRST = "first"
NOT_FIRST = "not_first"


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def order_key(loan: FirstLoan) -> tuple:
    """Who lent first: the earlier disbursement; on the same day the one reported first."""
    return (loan.disbursed_on, loan.id)


@dataclass
class Touched:
    """What a write changed: the borrowers whose loans need recomputing, and months a loan left or entered."""

    keys: set[str] = field(default_factory=set)
    periods: set[str] = field(default_factory=set)


def refresh_borrowers(session: Session, touched: Touched, *, actor: str, now: datetime) -> None:
    """Recompute verdicts, re-lending flags, conversions and findings of every loan of these borrowers, and the
    monthly summary of every month involved."""
    borrower_keys = touched.keys
    if not borrower_keys and not touched.periods:
        return
    _lock_register(session)
    session.flush()
    loans: dict[str, list[FirstLoan]] = defaultdict(list)
    for keys in _chunks(sorted(borrower_keys)):
        for loan in session.scalars(select(FirstLoan).where(FirstLoan.borrower_key.in_(keys))):
            loans[loan.borrower_key].append(loan)
    ids = [loan.id for group in loans.values() for loan in group]
    for chunk in _chunks(ids):
        session.execute(delete(ListConversion).where(ListConversion.loan_id.in_(chunk)))
    session.flush()
    entries = _entries(session, {loan.list_entry_id for g in loans.values() for loan in g if loan.list_entry_id})
    banks, units = bank_names(), unit_names()
    for group in loans.values():
        group.sort(key=order_key)
        first = group[0]
        for loan in group:
            loan.verdict = FIRST if loan is first else NOT_FIRST
            entry = entries.get(loan.list_entry_id)
            loan.relending_eligible = loan.verdict == FIRST and entry is not None
            loan.findings = "；".join(loan_findings(loan, first, entry, banks, units))
            if loan.verdict == FIRST and entry is not None:
                session.add(ListConversion(
                    list_entry_id=entry.id, loan_id=loan.id, county_code=loan.county_code or entry.county_code,
                    bank_code=loan.bank_code, converted_on=loan.disbursed_on, period=loan.period,
                    created_by=actor, created_at=now,
                ))
    session.flush()
    refresh_summary(session, touched.periods | {loan.period for g in loans.values() for loan in g})


def _lock_register(session: Session) -> None:
    # Two banks reporting the same borrower at once must not both see "no earlier loan" (write skew), and two
    # refreshes of one month's summary must not interleave: on PostgreSQL the recomputation is serialised until
    # commit. Reports are a few files a day, so one lock costs nothing. SQLite already serialises writers.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _REGISTER_LOCK})


def _entries(session: Session, ids: set[int]) -> dict[int, ListEntry]:
    out: dict[int, ListEntry] = {}
    for chunk in _chunks(sorted(ids)):
        out.update({e.id: e for e in session.scalars(select(ListEntry).where(ListEntry.id.in_(chunk)))})
    return out


def loan_findings(loan: FirstLoan, first: FirstLoan, entry: ListEntry | None, banks: dict[str, str],
                  units: dict[str, str]) -> list[str]:
    """What the bank is told about one loan, in Chinese."""
    out = []
    if entry is not None:
        kind = LIST_KIND_NAMES.get(entry.list_kind, entry.list_kind)
        out.append(f"借款人在{kind}无贷户名单内（{units.get(entry.county_code, entry.county_code)}）")
    else:
        out.append("借款人不在无贷户名单内：按银行报送的无贷款记录计入，待征信核验")
    if loan is not first:
        who = "本行" if first.bank_code == loan.bank_code else banks.get(first.bank_code, first.bank_code)
        out.append(
            f"借款人已于{first.disbursed_on.isoformat()}由{who}发放首贷（合同{first.contract_no}），本笔不计为首贷"
        )
    elif entry is not None:
        out.append("名单内无贷户转化为首贷户，符合支小再贷款支持条件")
    return out
