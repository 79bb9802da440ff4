"""Applying checked loans to the register: file upload (atomic), one API submission (idempotent)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.audit.actor import Actor
from shoudai.kit.calendar import SHANGHAI
from shoudai.kit.crypto import blind_index, encrypt_field
from shoudai.kit.masking import mask_id_number
from shoudai.oversight.actors import as_actor, audit, now_utc
from shoudai.oversight.errors import IdempotencyConflict, MonthClosed, OversightError
from shoudai.oversight.lookups import bank, county_of_uscc, list_entries_by_uscc
from shoudai.oversight.models import FirstLoan, LoanSubmission, MonthClose, ReportBatch, ReportFinding
from shoudai.oversight.reports.reader import UnusableFile, read_rows
from shoudai.oversight.reports.register import Touched, refresh_borrowers
from shoudai.oversight.reports.spec import LoanRow, Problem, RowContext, check_row
from shoudai.reference.loaders import division_code_map

# The fields a re-sent contract may change; comparing them tells an update from an identical re-send.
FIELDS = ("borrower_key", "borrower_uscc", "borrower_name", "county_code", "disbursed_on", "period", "amount_fen",
          "term_months", "rate_e4", "guarantee_type", "guarantor", "guarantee_fee_e4")


@dataclass(frozen=True)
class Finding:
    row_no: int | None
    contract_no: str | None
    level: str  # warning | info
    message: str


@dataclass
class ImportResult:
    """What happened to a file: applied (with counts and findings) or rejected (with every problem)."""

    status: str  # applied | rejected
    batch_id: int | None = None
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def period_of(text: str) -> str:
    """'2024-3' / '2024-03' / '202403' → '2024-03'; OversightError otherwise."""
    t = text.strip().replace("/", "-").replace("年", "-").rstrip("月")
    if "-" not in t and len(t) == 6:
        t = f"{t[:4]}-{t[4:]}"
    try:
        y, m = (int(p) for p in t.split("-"))
        return date(y, m, 1).strftime("%Y-%m")
    except ValueError:
        raise OversightError(f"“{text}”不是有效月份（应如2024-03）") from None


def closed_periods(session: Session, periods: set[str]) -> set[str]:
    if not periods:
        return set()
    return set(session.scalars(select(MonthClose.period).where(MonthClose.period.in_(sorted(periods)))))


def row_context(bank_code: str, period: str | None, now: datetime) -> RowContext:
    """What rows are checked against: the bank (by code or name), the month, today in Shanghai, the divisions."""
    ref = bank(bank_code)
    return RowContext(ref.code, ref.spellings, period, now.astimezone(SHANGHAI).date(), division_code_map())


def _borrower_key(row: LoanRow) -> str:
    return row.borrower_uscc or "P:" + blind_index(row.borrower_id)


def loan_values(row: LoanRow, county: str | None) -> dict[str, object]:
    """The stored values of a checked row (the operator's ID number only encrypted and masked)."""
    return {
        "borrower_key": _borrower_key(row), "borrower_uscc": row.borrower_uscc, "borrower_name": row.borrower_name,
        "county_code": county, "disbursed_on": row.disbursed_on, "period": row.period, "amount_fen": row.amount_fen,
        "term_months": row.term_months, "rate_e4": row.rate_e4, "guarantee_type": row.guarantee_type,
        "guarantor": row.guarantor, "guarantee_fee_e4": row.guarantee_fee_e4,
    }


def snapshot(loan: FirstLoan) -> dict[str, object]:
    """A loan's reportable values as JSON-ready data (before/after of corrections)."""
    values = {f: getattr(loan, f) for f in FIELDS}
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
    return {"bank_code": loan.bank_code, "contract_no": loan.contract_no, **values, "verdict": loan.verdict}


def upsert(session: Session, rows: list[LoanRow], *, actor: str, now: datetime, source: str,
           batch_id: int | None = None) -> tuple[list[tuple[LoanRow, FirstLoan, str]], Touched]:
    """Insert new contracts, update changed ones; returns (row, loan, inserted|updated|unchanged) and what to refresh."""
    if not rows:
        return [], Touched()
    bank_code = rows[0].bank_code
    existing = {
        loan.contract_no: loan
        for loan in session.scalars(select(FirstLoan).where(
            FirstLoan.bank_code == bank_code, FirstLoan.contract_no.in_([r.contract_no for r in rows])))
    }
    entries = list_entries_by_uscc(session, {r.borrower_uscc for r in rows if r.borrower_uscc})
    out, touched = [], Touched()
    for row in rows:
        entry = entries.get(row.borrower_uscc) if row.borrower_uscc else None
        county = row.county_code or (entry.county_code if entry else None) or county_of_uscc(row.borrower_uscc)
        values = loan_values(row, county)
        loan = existing.get(row.contract_no)
        if loan is None:
            loan = FirstLoan(bank_code=bank_code, contract_no=row.contract_no, verdict="first",
                             relending_eligible=False, findings="", source=source, revision=1,
                             created_by=actor, created_at=now, updated_by=actor, updated_at=now, **values)
            session.add(loan)
            change = "inserted"
        elif any(getattr(loan, k) != v for k, v in values.items()):
            touched.keys.add(loan.borrower_key)
            touched.periods.add(loan.period)
            for k, v in values.items():
                setattr(loan, k, v)
            loan.revision += 1
            loan.updated_by, loan.updated_at, loan.source = actor, now, source
            change = "updated"
        else:
            change = "unchanged"
        if row.borrower_id and change != "unchanged":
            loan.borrower_id_enc = encrypt_field(row.borrower_id, "ov_first_loan.borrower_id")
            loan.borrower_id_masked = mask_id_number(row.borrower_id)
        loan.list_entry_id = entry.id if entry else None
        loan.list_kind = entry.list_kind if entry else None
        if change != "unchanged":
            loan.batch_id, loan.row_no = batch_id, row.row_no
        touched.keys.add(values["borrower_key"])
        out.append((row, loan, change))
    session.flush()
    return out, touched


def import_report(session: Session, data: bytes, *, bank_code: str, period: str, file_name: str,
                  actor: Actor | str, now: datetime | None = None) -> ImportResult:
    """Check every row of a bank's monthly file; apply it whole, or (any error) change nothing and say why."""
    now, who = now_utc(now), as_actor(actor)
    period = period_of(period)
    ctx = row_context(bank_code, period, now)
    problems, rows = _check_file(data, ctx)
    if not problems and period in closed_periods(session, {period}):
        problems.append(Problem(None, None, f"{period}已关账，修改须由市级管理员登记更正"))
    if not problems:
        problems += _moves_out_of_closed(session, ctx.bank_code, rows)
    if problems:
        audit(session, who, "oversight.report.rejected", "report_file", file_name,
              {"bank": ctx.bank_code, "period": period, "problems": len(problems)}, outcome="rejected", at=now)
        return ImportResult("rejected", problems=problems)
    batch = ReportBatch(bank_code=ctx.bank_code, period=period, file_name=file_name[:255],
                        sha256=hashlib.sha256(data).hexdigest(), total_rows=len(rows), inserted_rows=0,
                        updated_rows=0, unchanged_rows=0, actor=who.username, created_at=now)
    session.add(batch)
    session.flush()
    changes, touched = upsert(session, rows, actor=who.username, now=now, source="file", batch_id=batch.id)
    refresh_borrowers(session, touched, actor=who.username, now=now)
    result = ImportResult("applied", batch.id)
    for row, loan, change in changes:
        setattr(result, change, getattr(result, change) + 1)
        notes = [(w, "warning") for w in row.warnings]
        if change == "updated":
            notes.append(("合同编号已报送过，本次按更新处理（不新增贷款）", "info"))
        elif change == "unchanged":
            notes.append(("合同编号已报送过且内容相同，未作修改", "info"))
        notes += [(f, "warning" if "不计为首贷" in f else "info") for f in loan.findings.split("；") if f]
        for message, level in notes:
            result.findings.append(Finding(row.row_no, row.contract_no, level, message))
            session.add(ReportFinding(batch_id=batch.id, row_no=row.row_no, column=None, level=level,
                                      contract_no=row.contract_no, message=message))
    batch.inserted_rows, batch.updated_rows, batch.unchanged_rows = result.inserted, result.updated, result.unchanged
    session.flush()
    audit(session, who, "oversight.report.applied", "report_batch", batch.id,
          {"bank": ctx.bank_code, "period": period, "file": file_name, "inserted": result.inserted,
           "updated": result.updated, "unchanged": result.unchanged}, at=now)
    return result


def _moves_out_of_closed(session: Session, bank_code: str, rows: list[LoanRow]) -> list[Problem]:
    """Rows that would change a contract already recorded in a closed month."""
    by_no = {r.contract_no: r for r in rows}
    stored: dict[str, str] = {}
    nos = sorted(by_no)
    for i in range(0, len(nos), 500):
        q = select(FirstLoan.contract_no, FirstLoan.period).where(
            FirstLoan.bank_code == bank_code, FirstLoan.contract_no.in_(nos[i : i + 500]))
        stored.update(dict(session.execute(q).all()))
    closed = closed_periods(session, set(stored.values()))
    return [Problem(by_no[no].row_no, "合同编号", f"该合同已在{p}报送且该月已关账，修改须由市级管理员登记更正")
            for no, p in sorted(stored.items()) if p in closed]


def _check_file(data: bytes, ctx: RowContext) -> tuple[list[Problem], list[LoanRow]]:
    try:
        raw_rows = read_rows(data)
    except UnusableFile as exc:
        return [exc.problem], []
    problems: list[Problem] = []
    rows: list[LoanRow] = []
    seen: dict[str, int] = {}
    for row_no, raw in raw_rows:
        checked = check_row(raw, row_no, ctx)
        if isinstance(checked, list):
            problems.extend(checked)
            continue
        if checked.contract_no in seen:
            problems.append(Problem(row_no, "合同编号", f"与第{seen[checked.contract_no]}行合同编号重复"))
            continue
        seen[checked.contract_no] = row_no
        rows.append(checked)
    return problems, rows


@dataclass(frozen=True)
class SubmitResult:
    loan_id: int
    change: str  # inserted | updated | unchanged
    verdict: str
    findings: list[str]
    replayed: bool


API_KEYS = {
    "bank": "bank", "borrower_uscc": "uscc", "borrower_id_number": "person_id", "borrower_name": "name",
    "contract_no": "contract_no", "disbursed_on": "disbursed_on", "amount_wan": "amount", "term_months": "term",
    "annual_rate_pct": "rate", "guarantee_type": "guarantee_type", "guarantor": "guarantor",
    "guarantee_fee_pct": "guarantee_fee", "county_code": "county",
}


def submit_loan(session: Session, payload: dict[str, object], *, bank_code: str, idempotency_key: str,
                actor: Actor | str, now: datetime | None = None) -> SubmitResult:
    """One loan from a bank's API client; the same key and body replay the first answer, never write twice.

    Raises OversightError (with the row's problems) for an invalid loan, MonthClosed for a closed month and
    IdempotencyConflict when the key was used for a different body.
    """
    now, who = now_utc(now), as_actor(actor)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise OversightError("幂等键（Idempotency-Key）必填，且不超过100个字符")
    ctx = row_context(bank_code, None, now)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    prior = session.scalar(select(LoanSubmission).where(LoanSubmission.bank_code == ctx.bank_code,
                                                        LoanSubmission.idem_key == key))
    if prior is not None:
        if prior.digest != digest:
            raise IdempotencyConflict("该幂等键已用于另一笔不同内容的报送")
        loan = session.get(FirstLoan, prior.loan_id)
        return SubmitResult(loan.id, "unchanged", loan.verdict, loan.findings.split("；"), True)
    raw = {API_KEYS[k]: (None if v is None else v if isinstance(v, date) else str(v))
           for k, v in payload.items() if k in API_KEYS}
    checked = check_row(raw, None, ctx)
    if isinstance(checked, list):
        raise OversightError("；".join(str(p) for p in checked))
    if checked.period in closed_periods(session, {checked.period}):
        raise MonthClosed(f"{checked.period}已关账，修改须由市级管理员登记更正")
    existing = session.scalar(select(FirstLoan.period).where(FirstLoan.bank_code == ctx.bank_code,
                                                             FirstLoan.contract_no == checked.contract_no))
    if existing and existing in closed_periods(session, {existing}):
        raise MonthClosed(f"该合同所在月份{existing}已关账，修改须由市级管理员登记更正")
    [(row, loan, change)], touched = upsert(session, [checked], actor=who.username, now=now, source="api")
    refresh_borrowers(session, touched, actor=who.username, now=now)
    session.add(LoanSubmission(bank_code=ctx.bank_code, idem_key=key, digest=digest, loan_id=loan.id, created_at=now))
    session.flush()
    audit(session, who, f"oversight.loan.{change}", "first_loan", loan.id,
          {"bank": ctx.bank_code, "contract_no": loan.contract_no, "source": "api"}, at=now)
    return SubmitResult(loan.id, change, loan.verdict, loan.findings.split("；") + row.warnings, False)


def check_row_or_raise(raw: dict[str, object], ctx: RowContext) -> LoanRow:
    """A checked row, or OversightError listing its problems."""
    checked = check_row({k: (v if v is None or isinstance(v, date) else str(v)) for k, v in raw.items()}, None, ctx)
    if isinstance(checked, list):
        raise OversightError("；".join(str(p) for p in checked))
    return checked
