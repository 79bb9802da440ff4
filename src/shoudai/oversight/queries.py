"""Scoped reads for the web session: loans, applied files and their findings, corrections, monthly trends (X1).

A bank user sees its own bank's rows, a county officer its counties' rows, the city admin everything; the filter is
in the query, so a row outside the scope is never loaded.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.accounts.scope import Scope
from shoudai.oversight.errors import PermissionDenied
from shoudai.oversight.models import FirstLoan, ListConversion, LoanCorrection, ReportBatch, ReportFinding
from shoudai.registry.models import ListEntry

BANK_ROLES = (roles.BANK_HQ, roles.LOAN_OFFICER)


def loan_filter(scope: Scope, bank_col, county_col) -> ColumnElement[bool]:
    """Banks: their own bank; county officers: their counties; city admin: all; others: nothing."""
    if scope.is_city:
        return true()
    if scope.role in BANK_ROLES:
        return scope.bank_filter(bank_col)
    if scope.role == roles.COUNTY_OFFICER:
        return scope.county_filter(county_col)
    return false()


def loans(session: Session, scope: Scope, *, period: str | None = None, verdict: str | None = None,
          limit: int = 100, offset: int = 0) -> tuple[list[FirstLoan], int]:
    """A page of reported loans the user may see, newest first, and the total count."""
    cond = [loan_filter(scope, FirstLoan.bank_code, FirstLoan.county_code)]
    if period:
        cond.append(FirstLoan.period == period)
    if verdict:
        cond.append(FirstLoan.verdict == verdict)
    total = session.scalar(select(func.count()).select_from(FirstLoan).where(*cond)) or 0
    q = select(FirstLoan).where(*cond).order_by(FirstLoan.disbursed_on.desc(), FirstLoan.id.desc())
    return list(session.scalars(q.limit(limit).offset(offset))), total


def batches(session: Session, scope: Scope, *, limit: int = 50) -> list[ReportBatch]:
    """Applied report files the user may see (a bank its own; the city all), newest first."""
    if not (scope.is_city or scope.role in BANK_ROLES):
        return []
    q = select(ReportBatch).where(scope.bank_filter(ReportBatch.bank_code)).order_by(ReportBatch.id.desc())
    return list(session.scalars(q.limit(limit)))


def batch_findings(session: Session, scope: Scope, batch_id: int) -> list[ReportFinding]:
    """The per-row findings of one applied file; PermissionDenied for another bank's file."""
    batch = session.get(ReportBatch, batch_id)
    if batch is None or not (scope.is_city or scope.allows_bank(batch.bank_code)):
        raise PermissionDenied("无权查看该报送文件")
    q = select(ReportFinding).where(ReportFinding.batch_id == batch_id).order_by(ReportFinding.row_no,
                                                                                ReportFinding.id)
    return list(session.scalars(q))


def correction_log(session: Session, scope: Scope, *, limit: int = 100) -> list[LoanCorrection]:
    """Recorded corrections the user may see (a bank: its own loans), newest first."""
    if not (scope.is_city or scope.role in BANK_ROLES):
        return []
    q = select(LoanCorrection).where(scope.bank_filter(LoanCorrection.bank_code)).order_by(LoanCorrection.id.desc())
    return list(session.scalars(q.limit(limit)))


def converted_entities(session: Session, through: date | None = None) -> dict[str, date]:
    """entity key (uscc) → date of its first loan, for every list entry converted (by `through`): the list build's
    'converted' removals (L6) and the list pages' 已转化 mark."""
    q = (select(ListEntry.entity_key, func.min(ListConversion.converted_on))
         .join(ListEntry, ListEntry.id == ListConversion.list_entry_id).group_by(ListEntry.entity_key))
    if through is not None:
        q = q.where(ListConversion.converted_on <= through)
    return dict(session.execute(q).all())


def monthly_trend(session: Session, year: int, level: str) -> dict[str, dict[str, tuple[int, int]]]:
    """code → period → (first-loan households, amount fen) for the year: the dashboard's trend lines.

    level: unit | bank | city. The bulletin's figures are circulated to every unit and bank, so this is city-wide.
    """
    col = {"unit": FirstLoan.county_code, "bank": FirstLoan.bank_code, "city": None}[level]
    keys = [col] if col is not None else []
    q = (select(*keys, FirstLoan.period, func.count(), func.sum(FirstLoan.amount_fen))
         .where(FirstLoan.verdict == "first", FirstLoan.period.between(f"{year}-01", f"{year}-12"))
         .group_by(*keys, FirstLoan.period))
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for row in session.execute(q):
        code = row[0] if col is not None else ""
        out.setdefault(code or "", {})[row[-3]] = (int(row[-2]), int(row[-1] or 0))
    return out
