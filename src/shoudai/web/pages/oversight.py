"""Oversight pages: the first-loan dashboard, bulletin downloads, bank report upload, month closing (T2, T3)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from shoudai.accounts import roles
from shoudai.accounts.scope import Scope
from shoudai.audit import service as audit_service
from shoudai.oversight import queries
from shoudai.oversight.bulletin import Bulletin, compute_bulletin
from shoudai.oversight.bulletin_export import subtitle, tables
from shoudai.oversight.errors import OversightError, PermissionDenied
from shoudai.oversight.exporting import write_csv, write_pdf, write_xlsx
from shoudai.oversight.figures import pct
from shoudai.oversight.lookups import bank_names, unit_names
from shoudai.oversight.models import LoanCorrection, LoanSubmission, MonthClose, MonthSummary, ReportBatch
from shoudai.oversight.money import fen_to_wan, wan_text
from shoudai.oversight.reports import spec
from shoudai.oversight.reports.corrections import close_month
from shoudai.oversight.reports.service import import_report, period_of
from shoudai.oversight.targets import programme_for, targets
from shoudai.web.deps import DB, CurrentUser, Forbidden, Now, lang_of, require_roles
from shoudai.web.i18n import translate
from shoudai.web.templating import SHANGHAI, render

router = APIRouter(prefix="/oversight")
Viewer = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN, roles.COUNTY_OFFICER, roles.BANK_HQ))]
Reporter = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN, roles.BANK_HQ))]
BankHq = Annotated[CurrentUser, Depends(require_roles(roles.BANK_HQ))]
Admin = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN))]
MAX_UPLOAD = 20 * 1024 * 1024
TREND_MONTHS = 12
BULLETIN_TTL = 60.0  # seconds the 211 figures and list sizes in a cached bulletin table may lag
_bulletin_cache: dict[tuple, tuple[float, tuple, list, list]] = {}
KINDS = {  # download kind → (file name pattern, media type)
    "xlsx": ("bulletin-{p}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("bulletin-{p}.pdf", "application/pdf"),
    "by_county.csv": ("by_county-{p}.csv", "text/csv; charset=utf-8"),
    "by_bank.csv": ("by_bank-{p}.csv", "text/csv; charset=utf-8"),
}


# The report file's column labels (as problems name them) → their message keys.
COLUMN_KEYS = {c.label: f"ov.rcol.{c.key}" for c in spec.COLUMNS}


def column_label(label: str | None, lang: str) -> str:
    """A report column named in a problem, in the user's language (an unknown label shows as written)."""
    if not label:
        return ""
    return translate(COLUMN_KEYS[label], lang) if label in COLUMN_KEYS else label


def chart_names(lang: str) -> dict[str, str]:
    """The dashboard charts' series and axis names (oversight.js reads them from data-ov-names)."""
    keys = {"households": "ov.chart.households", "amount": "ov.chart.amount", "hh_axis": "ov.chart.hh_axis",
            "wan_axis": "ov.chart.wan_axis", "ytd": "ov.chart.ytd"}
    return {k: translate(v, lang) for k, v in keys.items()}


def current_period(now: datetime) -> str:
    return now.astimezone(SHANGHAI).strftime("%Y-%m")


def pick_period(month: str, now: datetime) -> str:
    """The month asked for, or this month when it is missing or malformed."""
    try:
        return period_of(month) if month else current_period(now)
    except OversightError:
        return current_period(now)


def months_back(period: str, n: int) -> list[str]:
    """The n months ending with `period`, oldest first."""
    y, m = int(period[:4]), int(period[5:])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


@dataclass
class Dashboard:
    """The scoped figures of one month: headline numbers, trend, rankings."""

    period: str
    cum_households: int = 0
    cum_amount_fen: int = 0
    month_households: int = 0
    month_amount_fen: int = 0
    ytd_households: int = 0
    ytd_amount_fen: int = 0
    goal_households: int | None = None  # the programme's total (city) or the year's targets (scoped users)
    goal_amount_fen: int | None = None
    goal_is_programme: bool = False
    trend: dict = field(default_factory=dict)
    by_unit: dict = field(default_factory=dict)
    by_bank: dict = field(default_factory=dict)


def dashboard_figures(db: Session, scope: Scope, period: str) -> Dashboard:
    """Every dashboard figure from the monthly summary, filtered by the user's scope inside the SQL."""
    s = MonthSummary
    start_day = datetime.strptime(period + "-01", "%Y-%m-%d").date()
    programme = programme_for(db, start_day)
    first = programme.starts_on.strftime("%Y-%m") if programme else "0000-01"
    in_scope = queries.loan_filter(scope, s.bank_code, s.county_code)
    base = (s.period >= first, s.period <= period, in_scope)
    d = Dashboard(period)
    year_start = f"{period[:4]}-01"
    per_month = {p: (int(h or 0), int(a or 0)) for p, h, a in db.execute(
        select(s.period, func.sum(s.households), func.sum(s.amount_fen)).where(*base).group_by(s.period))}
    for p, (h, a) in per_month.items():
        d.cum_households, d.cum_amount_fen = d.cum_households + h, d.cum_amount_fen + a
        if p >= year_start:
            d.ytd_households, d.ytd_amount_fen = d.ytd_households + h, d.ytd_amount_fen + a
    d.month_households, d.month_amount_fen = per_month.get(period, (0, 0))
    labels = months_back(period, TREND_MONTHS)
    d.trend = {"labels": labels, "households": [per_month.get(p, (0, 0))[0] for p in labels],
               "amount_wan": [float(fen_to_wan(per_month.get(p, (0, 0))[1])) for p in labels]}
    for attr, col, names in (("by_unit", s.county_code, unit_names()), ("by_bank", s.bank_code, bank_names())):
        rows = db.execute(select(col, func.sum(s.households), func.sum(s.amount_fen))
                          .where(*base, s.period >= year_start).group_by(col)).all()
        rows = sorted(((names.get(c, c), int(h or 0), int(a or 0)) for c, h, a in rows), key=lambda r: (-r[1], r[0]))
        setattr(d, attr, {"labels": [r[0] for r in rows], "households": [r[1] for r in rows],
                          "amount_wan": [float(fen_to_wan(r[2])) for r in rows]})
    if programme is not None:
        if scope.is_city:
            d.goal_households, d.goal_amount_fen, d.goal_is_programme = (programme.households_target,
                                                                         programme.amount_target_fen, True)
        else:
            level, mine = (("bank", [scope.bank_code]) if scope.role == roles.BANK_HQ
                           else ("unit", list(scope.county_codes)))
            found = [t for c, t in targets(db, programme.id, int(period[:4]), level).items() if c in mine]
            if found:
                d.goal_households = sum(t.households for t in found)
                d.goal_amount_fen = sum(t.amount_fen for t in found)
    return d


def data_mark(db: Session) -> tuple:
    """A cheap fingerprint of the reported loans: it changes with every file, API submission and correction."""
    s = MonthSummary
    return (*db.execute(select(func.count(), func.sum(s.households), func.sum(s.amount_fen))).one(),
            db.scalar(select(func.max(ReportBatch.id))), db.scalar(select(func.max(LoanSubmission.id))),
            db.scalar(select(func.max(LoanCorrection.id))))


def bulletin_lines(db: Session, period: str, now: datetime) -> tuple[list, list]:
    """The bulletin's unit and bank rows for the dashboard table.

    Reused while the loans are unchanged, for at most BULLETIN_TTL: the 211 clocks and list sizes cost ~150 ms of
    the bulletin on 1M loans and need not be to-the-second on a screen (the downloads are always computed afresh).
    """
    key, mark, t = (str(db.get_bind().url), id(db.get_bind()), period), data_mark(db), time.monotonic()
    hit = _bulletin_cache.get(key)
    if hit is not None and hit[1] == mark and t - hit[0] < BULLETIN_TTL:
        return hit[2], hit[3]
    b = compute_bulletin(db, period, now=now)
    if len(_bulletin_cache) > 64:
        _bulletin_cache.clear()
    _bulletin_cache[key] = (t, mark, b.units, b.banks)
    return b.units, b.banks


def scoped_bulletin(units: list, banks: list, scope: Scope) -> tuple[list, list]:
    """The bulletin rows this user may see: all for the city; its counties for a county officer; its bank for a bank.

    The ranks stay the city-wide ranks (the bulletin ranks every unit and bank against the others).
    """
    if scope.is_city:
        return units, banks
    if scope.role == roles.COUNTY_OFFICER:
        return [u for u in units if u.code in scope.county_codes], []
    return [], [x for x in banks if x.code == scope.bank_code]


@router.get("")
def dashboard(request: Request, cu: Viewer, db: DB, now: Now, month: str = "") -> Response:
    """The month's headline cards, trend and ranking charts, and the bulletin table, all within the user's scope."""
    period = pick_period(month, now)
    d = dashboard_figures(db, cu.scope, period)
    units, banks = scoped_bulletin(*bulletin_lines(db, period, now), cu.scope)
    charts = {"trend": d.trend, "unit": d.by_unit, "bank": d.by_bank}
    return render(request, "oversight/dashboard.html", {
        "d": d, "units": units, "banks": banks, "charts": charts, "wan": wan_text, "pct": pct,
        "chart_names": chart_names(lang_of(request)),
        "show_units": cu.scope.role != roles.BANK_HQ, "show_banks": cu.scope.role != roles.COUNTY_OFFICER,
        "can_download": cu.scope.is_city,
    })


def bulletin_file(b: Bulletin, kind: str) -> bytes:
    """One of the bulletin's files, written to a temporary directory and read back."""
    t = tables(b)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out"
        if kind == "xlsx":
            write_xlsx(path, b.title, subtitle(b), t, b.notes, b.summary)
        elif kind == "pdf":
            write_pdf(path, b.title, subtitle(b), t, b.notes, b.summary)
        else:
            write_csv(path, t[0] if kind == "by_county.csv" else t[1])
        return path.read_bytes()


@router.post("/bulletin/download")
def download(cu: Admin, db: DB, now: Now, month: Annotated[str, Form()] = "",
             kind: Annotated[str, Form()] = "xlsx") -> Response:
    """The chosen month's bulletin file (POST with CSRF: an export is an audited action, as in the audit pages)."""
    if kind not in KINDS:
        return Response("unknown kind", status_code=422)
    period = pick_period(month, now)
    data = bulletin_file(compute_bulletin(db, period, now=now), kind)
    audit_service.record(db, cu.actor, "oversight.bulletin.export", object_type="bulletin", object_id=period, at=now,
                         detail={"period": period, "kind": kind, "bytes": len(data)})
    pattern, media = KINDS[kind]
    name = pattern.format(p=period)
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def reports_context(db: Session, cu: CurrentUser, batch: int | None, lang: str = "zh") -> dict:
    """What the reports page shows: recent files, one file's findings, closed months and corrections (city)."""
    ctx: dict = {"batches": queries.batches(db, cu.scope, limit=30), "findings": None, "batch_id": batch,
                 "column_label": lambda label: column_label(label, lang)}
    if batch:
        try:
            ctx["findings"] = queries.batch_findings(db, cu.scope, batch)
        except PermissionDenied as exc:
            raise Forbidden() from exc
    if cu.scope.is_city:
        ctx["closed"] = list(db.scalars(select(MonthClose).order_by(MonthClose.period.desc()).limit(24)))
        ctx["corrections"] = queries.correction_log(db, cu.scope, limit=50)
    return ctx


@router.get("/reports")
def reports_page(request: Request, cu: Reporter, db: DB, now: Now, batch: int | None = None,
                 msg: str = "") -> Response:
    """Bank HQ: upload the month's 首贷发放明细 and see past files; city admin: close months, see corrections."""
    ctx = reports_context(db, cu, batch, lang_of(request))
    return render(request, "oversight/reports.html", {**ctx, "period": current_period(now), "result": None,
                                                      "msg": msg if msg in ("closed",) else "", "error": ""})


@router.post("/reports/upload")
async def upload(request: Request, cu: BankHq, db: DB, now: Now, file: UploadFile,
                 period: Annotated[str, Form()] = "") -> Response:
    """Apply a bank's file for its own bank (the code comes from the user's scope, never from the form)."""
    data = await file.read(MAX_UPLOAD + 1)
    name = (file.filename or "upload")[:255]
    error, result = "", None
    if len(data) > MAX_UPLOAD:
        error = translate("ov.reports.too_big", lang_of(request))
    else:
        try:  # checking a big file takes seconds: off the event loop
            result = await run_in_threadpool(import_report, db, data, bank_code=cu.scope.bank_code, period=period,
                                             file_name=name, actor=cu.actor, now=now)
        except OversightError as exc:
            error = str(exc)
    ctx = await run_in_threadpool(reports_context, db, cu, result.batch_id if result else None, lang_of(request))
    status = 200 if result is not None and result.status == "applied" else 422
    return render(request, "oversight/reports.html", {**ctx, "period": period or current_period(now),
                                                      "result": result, "file_name": name, "msg": "",
                                                      "error": error}, status_code=status)


@router.post("/months/close")
def close(request: Request, cu: Admin, db: DB, now: Now, month: Annotated[str, Form()] = "") -> Response:
    """Close a reporting month: later changes need a recorded correction."""
    try:
        close_month(db, month, actor=cu.actor, now=now)
    except OversightError as exc:
        ctx = reports_context(db, cu, None, lang_of(request))
        return render(request, "oversight/reports.html", {**ctx, "period": month, "result": None, "msg": "",
                                                          "error": str(exc)}, status_code=422)
    return RedirectResponse("/oversight/reports?msg=closed", status_code=303)
