"""City admin oversight pages: targets, annual assessment, subsidy statements, corrections, compensation (T1–T4, I1–I4)."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from shoudai.accounts import roles
from shoudai.audit import service as audit_service
from shoudai.oversight.assessment import (
    INDICATORS,
    METHODS,
    Indicator,
    compute_assessment,
    scheme,
    set_scheme,
)
from shoudai.oversight.assessment_export import write_assessment
from shoudai.oversight.compensation import decide_claim, ledger
from shoudai.oversight.errors import OversightError
from shoudai.oversight.figures import pct
from shoudai.oversight.lookups import bank_names
from shoudai.oversight.models import CompensationClaim, FirstLoan, MonthClose, Programme
from shoudai.oversight.money import e4_to_percent, fen_to_wan, fen_to_yuan, wan_text, wan_to_fen
from shoudai.oversight.reports.corrections import correct_loan, corrections
from shoudai.oversight.subsidy import ELIGIBLE, set_rule, statements, write_statements
from shoudai.oversight.targets import compute_targets, progress, set_target
from shoudai.web.deps import DB, CurrentUser, Now, lang_of, require_roles
from shoudai.web.i18n import MESSAGES, translate
from shoudai.web.templating import SHANGHAI, render

router = APIRouter(prefix="/oversight/admin")
Admin = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOAN_FIELDS = ("uscc", "person_id", "name", "disbursed_on", "amount", "term", "rate", "guarantee_type", "guarantor",
               "guarantee_fee")


def this_year(now: datetime) -> int:
    return now.astimezone(SHANGHAI).year


def pick_year(year: str, now: datetime) -> int:
    """The year asked for, or this year when it is missing or implausible."""
    return int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else this_year(now)


def back(path: str, **params: object) -> RedirectResponse:
    query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items() if v not in ("", None))
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def attachment(data: bytes, name: str, media: str = XLSX) -> Response:
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def indicator_label(code: str, lang: str) -> str:
    key = f"ova.ind.{code}"
    return translate(key, lang) if key in MESSAGES else INDICATORS.get(code, code)


def assessment_text(a, lang: str) -> tuple[str, list[str]]:
    """The assessment's title and notes: the domain's own Chinese, or the same said in English.

    The English notes follow compute_assessment's: the scheme, the method, the basis, then each indicator that no
    county (or no bank) has data for.
    """
    if lang != "en":
        return a.title, a.notes
    parts = "; ".join(translate("ova.a.note.part", lang, label=indicator_label(i.code, lang), w=i.weight)
                      for i in a.scheme)
    notes = [translate("ova.a.note.scheme", lang, parts=parts), translate("ova.a.note.method", lang),
             translate("ova.a.note.basis", lang)]
    for items in (a.units, a.banks):
        for i in a.scheme:
            dropped = translate("ova.a.note.dropped", lang, label=indicator_label(i.code, lang))
            if all(s.values.get(i.code) is None for s in items) and dropped not in notes:
                notes.append(dropped)
    return translate("ova.a.title", lang, year=a.year), notes


def programme_of_year(db: Session, year: int) -> Programme | None:
    """The programme running during `year` (the latest-starting one if several)."""
    return db.scalar(select(Programme).where(Programme.starts_on <= date(year, 12, 31),
                                             Programme.ends_on >= date(year, 1, 1))
                     .order_by(Programme.starts_on.desc(), Programme.id.desc()).limit(1))


# ---- 目标管理 ----

@router.get("/targets")
def targets_page(request: Request, cu: Admin, db: DB, now: Now, year: str = "", msg: str = "",
                 error: str = "") -> Response:
    """The programme and the year's targets per county and per bank, with progress."""
    y = pick_year(year, now)
    p = programme_of_year(db, y)
    levels = {}
    if p is not None:
        levels = {lv: progress(db, p.id, y, lv) for lv in ("city", "unit", "bank")}
    programmes = list(db.scalars(select(Programme).order_by(Programme.starts_on)))
    return render(request, "oversight_admin/targets.html", {
        "year": y, "programme": p, "programmes": programmes, "levels": levels, "wan": wan_text, "pct": pct,
        "fen_to_wan": fen_to_wan, "msg": msg if msg in ("saved", "computed") else "", "error": error[:300]})


@router.post("/targets/set")
def targets_set(request: Request, cu: Admin, db: DB, now: Now, programme_id: Annotated[int, Form()],
                year: Annotated[int, Form()], level: Annotated[str, Form()], code: Annotated[str, Form()] = "",
                households: Annotated[str, Form()] = "", amount_wan: Annotated[str, Form()] = "") -> Response:
    """Set one target by hand (kept when targets are recomputed)."""
    lang = lang_of(request)
    try:
        if not households.strip().isdigit():
            raise OversightError(translate("ova.error.households", lang))
        set_target(db, programme_id, year, level, code, households=int(households), amount_fen=wan_to_fen(amount_wan),
                   actor=cu.actor, now=now)
    except (OversightError, ValueError, InvalidOperation) as exc:
        return back("/oversight/admin/targets", year=year, error=str(exc) or translate("ova.error.input", lang))
    return back("/oversight/admin/targets", year=year, msg="saved")


@router.post("/targets/compute")
def targets_compute(cu: Admin, db: DB, now: Now, programme_id: Annotated[int, Form()],
                    year: Annotated[int, Form()]) -> Response:
    """Split the year's city target over counties (by list size) and banks; hand-set targets are kept."""
    try:
        compute_targets(db, programme_id, year, actor=cu.actor, now=now)
    except OversightError as exc:
        return back("/oversight/admin/targets", year=year, error=str(exc))
    return back("/oversight/admin/targets", year=year, msg="computed")


# ---- 年度考核 ----

@router.get("/assessment")
def assessment_page(request: Request, cu: Admin, db: DB, now: Now, year: str = "", msg: str = "",
                    error: str = "") -> Response:
    """The year's indicator weights (editable) and the scores and ranks of every county and bank."""
    y = pick_year(year, now)
    a = compute_assessment(db, y, now=now)
    current = {i.code: i for i in scheme(db, y)}
    lang = lang_of(request)
    title, notes = assessment_text(a, lang)
    return render(request, "oversight_admin/assessment.html", {
        "year": y, "a": a, "title": title, "notes": notes, "methods": METHODS, "current": current,
        "indicators": {code: indicator_label(code, lang) for code in INDICATORS},
        "msg": msg if msg == "saved" else "", "error": error[:300]})


@router.post("/assessment/weights")
async def assessment_weights(request: Request, cu: Admin, db: DB, now: Now) -> Response:
    """Save the year's scheme: a weight (and method) per indicator; an empty or 0 weight leaves it out."""
    form = await request.form()
    y = pick_year(str(form.get("year", "")), now)
    try:
        chosen = []
        for code in INDICATORS:
            raw = str(form.get(f"weight_{code}", "")).strip()
            if not raw:
                continue
            weight = Decimal(raw)
            if weight == 0:
                continue
            chosen.append(Indicator(code, weight, str(form.get(f"method_{code}", "max"))))
        set_scheme(db, y, chosen, actor=cu.actor, now=now)
    except (OversightError, InvalidOperation) as exc:
        # A weight that is not a number says so (InvalidOperation's own text is a Python class name).
        return back("/oversight/admin/assessment", year=y, error=str(exc) if isinstance(exc, OversightError)
                    else translate("ova.error.weight", lang_of(request)))
    return back("/oversight/admin/assessment", year=y, msg="saved")


@router.post("/assessment/download")
def assessment_download(cu: Admin, db: DB, now: Now, year: Annotated[str, Form()] = "") -> Response:
    """The year's assessment workbook (POST with CSRF: an export is an audited action)."""
    y = pick_year(year, now)
    with tempfile.TemporaryDirectory() as tmp:
        data = write_assessment(compute_assessment(db, y, now=now), Path(tmp), pdf=False)["xlsx"].read_bytes()
    audit_service.record(db, cu.actor, "oversight.assessment.export", object_type="assessment", object_id=str(y),
                         at=now, detail={"year": y, "kind": "xlsx", "bytes": len(data)})
    return attachment(data, f"首贷拓展年度考核_{y}.xlsx")


# ---- 费用补贴 ----

@router.get("/subsidy")
def subsidy_page(request: Request, cu: Admin, db: DB, now: Now, year: str = "", msg: str = "",
                 error: str = "") -> Response:
    """Each bank's subsidy statement for the year: loans, eligible amount, subsidy to the fen."""
    y = pick_year(year, now)
    sts = statements(db, y)
    return render(request, "oversight_admin/subsidy.html", {
        "year": y, "statements": sts, "rule": sts[0].rule if sts else None, "yuan": fen_to_yuan,
        "total_base": sum(s.base_fen for s in sts), "total_subsidy": sum(s.subsidy_fen for s in sts),
        "total_loans": sum(len(s.lines) for s in sts),
        "eligible": {k: translate(f"ova.s.eligible.{k}", lang_of(request)) if f"ova.s.eligible.{k}" in MESSAGES else v
                     for k, v in ELIGIBLE.items()},
        "msg": msg if msg == "saved" else "", "error": error[:300]})


def optional_day(raw: str) -> date | None:
    return date.fromisoformat(raw) if raw.strip() else None


@router.post("/subsidy/rule")
def subsidy_rule(request: Request, cu: Admin, db: DB, now: Now, year: Annotated[str, Form()] = "",
                 rate_per_mille: Annotated[str, Form()] = "", eligible: Annotated[str, Form()] = "first",
                 window_from: Annotated[str, Form()] = "", window_to: Annotated[str, Form()] = "",
                 note: Annotated[str, Form()] = "") -> Response:
    """Set the year's subsidy rule: rate in ‰, which first loans count, an optional disbursement window."""
    y = pick_year(year, now)
    try:
        set_rule(db, y, rate_per_mille=Decimal(rate_per_mille.strip()), eligible=eligible,
                 window_from=optional_day(window_from), window_to=optional_day(window_to), note=note.strip()[:500],
                 actor=cu.actor, now=now)
    except (OversightError, InvalidOperation, ValueError) as exc:
        return back("/oversight/admin/subsidy", year=y, error=str(exc) if isinstance(exc, OversightError)
                    else translate("ova.error.rule", lang_of(request)))
    return back("/oversight/admin/subsidy", year=y, msg="saved")


@router.post("/subsidy/download")
def subsidy_download(cu: Admin, db: DB, now: Now, year: Annotated[str, Form()] = "") -> Response:
    """The year's subsidy workbook: summary plus one sheet per bank (audited POST)."""
    y = pick_year(year, now)
    with tempfile.TemporaryDirectory() as tmp:
        data = write_statements(db, y, Path(tmp))["xlsx"].read_bytes()
    audit_service.record(db, cu.actor, "oversight.subsidy.export", object_type="subsidy", object_id=str(y), at=now,
                         detail={"year": y, "kind": "xlsx", "bytes": len(data)})
    return attachment(data, f"首贷费用补贴_{y}.xlsx")


# ---- 更正登记 ----

def loan_values(loan: FirstLoan | None) -> dict[str, str]:
    """A loan's current values in the correction form's terms (the operator's ID number is never shown)."""
    if loan is None:
        return {}
    fee = e4_to_percent(loan.guarantee_fee_e4)
    return {"uscc": loan.borrower_uscc or "", "name": loan.borrower_name or "",
            "disbursed_on": loan.disbursed_on.isoformat() if loan.disbursed_on else "",
            "amount": f"{fen_to_wan(loan.amount_fen):f}", "term": str(loan.term_months or ""),
            "rate": f"{e4_to_percent(loan.rate_e4)}" if loan.rate_e4 is not None else "",
            "guarantee_type": loan.guarantee_type or "", "guarantor": loan.guarantor or "",
            "guarantee_fee": "" if fee is None else f"{fee}"}


def corrections_context(db: Session, month: str, bank: str, contract: str) -> dict:
    """Closed months, the loan looked up (if any) and the corrections log."""
    loan = None
    if bank and contract:
        loan = db.scalar(select(FirstLoan).where(FirstLoan.bank_code == bank, FirstLoan.contract_no == contract))
    try:
        log = corrections(db, month or None)
    except OversightError:
        log, month = corrections(db), ""
    return {"closed": list(db.scalars(select(MonthClose).order_by(MonthClose.period.desc()).limit(36))),
            "month": month, "log": log[:200], "banks": bank_names(), "bank": bank, "contract": contract,
            "loan": loan, "values": loan_values(loan), "fields": LOAN_FIELDS, "reason": ""}


@router.get("/corrections")
def corrections_page(request: Request, cu: Admin, db: DB, month: str = "", bank: str = "", contract: str = "",
                     msg: str = "") -> Response:
    """The correction form (prefilled from a loan when one is looked up) and the corrections log."""
    return render(request, "oversight_admin/corrections.html", {
        **corrections_context(db, month, bank, contract), "msg": msg if msg == "saved" else "", "error": ""})


@router.post("/corrections")
async def corrections_add(request: Request, cu: Admin, db: DB, now: Now) -> Response:
    """Record one correction (change, add, or withdraw a loan) with its reason; on error the form keeps its input."""
    form = await request.form()
    bank, contract = str(form.get("bank_code", "")).strip(), str(form.get("contract_no", "")).strip()
    typed = {k: str(form.get(k, "")).strip() for k in LOAN_FIELDS}
    values = None if form.get("withdraw") else {k: v for k, v in typed.items() if v}
    reason = str(form.get("reason", ""))
    try:
        if not bank or not contract:
            raise OversightError(translate("ova.error.loan", lang_of(request)))
        correct_loan(db, bank_code=bank, contract_no=contract, values=values, reason=reason, actor=cu.actor, now=now)
    except OversightError as exc:
        ctx = corrections_context(db, "", bank, contract)
        return render(request, "oversight_admin/corrections.html", {
            **ctx, "values": typed, "reason": reason, "msg": "", "error": str(exc)}, status_code=422)
    return back("/oversight/admin/corrections", msg="saved")


# ---- 风险补偿 ----

@router.get("/compensation")
def compensation_page(request: Request, cu: Admin, db: DB, status: str = "", msg: str = "",
                      error: str = "") -> Response:
    """Risk compensation claims (pending first) with approve/reject, and the ledger per bank and guarantor."""
    q = (select(CompensationClaim, FirstLoan.contract_no, FirstLoan.borrower_name)
         .join(FirstLoan, FirstLoan.id == CompensationClaim.loan_id)
         .order_by((CompensationClaim.status == "pending").desc(), CompensationClaim.id.desc()).limit(200))
    if status in ("pending", "approved", "rejected"):
        q = q.where(CompensationClaim.status == status)
    return render(request, "oversight_admin/compensation.html", {
        "claims": db.execute(q).all(), "ledger": ledger(db), "status": status, "wan": wan_text,
        "yuan": fen_to_yuan, "fee": e4_to_percent, "msg": msg if msg == "saved" else "", "error": error[:300]})


@router.post("/compensation/{claim_id}/decide")
def compensation_decide(request: Request, cu: Admin, db: DB, now: Now, claim_id: int, decision: Annotated[str, Form()],
                        note: Annotated[str, Form()] = "") -> Response:
    """Approve or reject one pending claim (a rejection needs a reason)."""
    try:
        if decision not in ("approve", "reject"):
            raise OversightError(translate("ova.error.decision", lang_of(request)))
        decide_claim(db, claim_id, approve=decision == "approve", note=note, actor=cu.actor, now=now)
    except OversightError as exc:
        return back("/oversight/admin/compensation", error=str(exc))
    return back("/oversight/admin/compensation", msg="saved")
