"""The 211 compliance page (Q5): per bank, for a month, pushed / answered on time / breaches per clock, ranked.

A bank HQ user sees its own bank only (the bank code goes into every query); the city admin sees every bank.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from shoudai.accounts import roles
from shoudai.audit import service as audit
from shoudai.lending import compliance, sla
from shoudai.web.deps import DB, CurrentUser, Forbidden, Now, lang_of, require_roles
from shoudai.web.i18n import translate
from shoudai.web.pages.workbench import columns, download, workbook
from shoudai.web.templating import SHANGHAI, bank_name, local_time, render

router = APIRouter(prefix="/lending/compliance")
Viewer = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN, roles.BANK_HQ))]


def scope_bank(cu: CurrentUser) -> str | None:
    """None (every bank) for the city admin; the user's own bank for a bank HQ user."""
    if cu.role == roles.CITY_ADMIN:
        return None
    if not cu.scope.bank_code:
        raise Forbidden()
    return cu.scope.bank_code


def figures(db, cu: CurrentUser, month: str, now) -> tuple[str, list[dict], list[compliance.BreachLine]]:
    y, m = compliance.parse_month(month, now.astimezone(SHANGHAI).date())
    start, end = compliance.month_bounds(y, m)
    bank = scope_bank(cu)
    return (f"{y:04d}-{m:02d}", compliance.ranked(db, start=start, end=end, bank_code=bank),
            compliance.breaches(db, start=start, end=end, bank_code=bank))


def pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


@router.get("")
def page(request: Request, cu: Viewer, db: DB, now: Now, month: str = "") -> Response:
    """The ranked table, a bar chart of on-time rates and breaches, and the breaches of the month."""
    period, rows, breaches = figures(db, cu, month, now)
    lang = lang_of(request)
    names = {"rate": translate("cp.chart.rate", lang), "answer": translate("cp.col.answer_breaches", lang),
             "accept": translate("cp.col.accept_breaches", lang), "decide": translate("cp.col.decide_breaches", lang),
             "count": translate("cp.chart.count", lang)}
    chart = {"labels": [bank_name(r["bank_code"]) for r in rows],
             "rate": [round((r["on_time_rate"] or 0) * 100, 1) for r in rows],
             "answer": [r["answer_breaches"] for r in rows], "accept": [r["accept_breaches"] for r in rows],
             "decide": [r["decide_breaches"] for r in rows]}
    return render(request, "compliance/page.html", {"period": period, "rows": rows, "breaches": breaches,
                                                     "chart": chart, "names": names, "pct": pct,
                                                     "clocks": sla.CLOCKS})


COLUMNS = (("cp.col.rank", 6), ("cp.col.bank", 16), ("cp.col.pushed", 8), ("cp.col.answered", 8),
           ("cp.col.answered_on_time", 10), ("cp.col.answer_breaches", 10), ("cp.col.accepted", 8),
           ("cp.col.accept_breaches", 10), ("cp.col.decide_breaches", 10), ("cp.col.disbursed", 8),
           ("cp.col.on_time", 10), ("cp.col.rate", 10))
BREACH_COLUMNS = (("cp.col.bank", 16), ("cp.col.ref", 14), ("cp.col.business", 30), ("cp.col.clock", 20),
                  ("cp.col.due_bj", 19), ("cp.col.provisional", 9), ("cp.col.detected", 17), ("cp.col.stage", 22))


@router.post("/export")
def export(request: Request, cu: Viewer, db: DB, now: Now, month: Annotated[str, Form()] = "") -> Response:
    """The month's ranked table and its breaches as Excel (two sheets), scoped like the page; audited."""
    period, rows, breaches = figures(db, cu, month, now)
    lang = lang_of(request)
    table = [(r["rank"], bank_name(r["bank_code"]), r["pushed"], r["answered"], r["answered_on_time"],
              r["answer_breaches"], r["accepted"], r["accept_breaches"], r["decide_breaches"], r["disbursed"],
              r["on_time"], pct(r["on_time_rate"])) for r in rows]
    lines = [(bank_name(b.bank_code), b.ref, b.name, translate(f"wb.clock.{b.clock}", lang),
              local_time(b.due_at, "%Y-%m-%d %H:%M"), translate("wb.yes", lang) if b.provisional else "",
              local_time(b.detected_at, "%Y-%m-%d %H:%M"), translate(f"wb.stage.{b.stage}", lang)) for b in breaches]
    data, _ = workbook((translate("cp.xlsx.sheet", lang), translate("cp.xlsx.title", lang, period=period),
                        columns(COLUMNS, lang), table),
                       (translate("cp.xlsx.breach_sheet", lang), translate("cp.xlsx.breach_title", lang, period=period),
                        columns(BREACH_COLUMNS, lang), lines), lang=lang)
    audit.record(db, cu.actor, "lending.compliance_export", object_type="period", object_id=period, at=now,
                 detail={"banks": len(rows), "breaches": len(breaches), "bank": scope_bank(cu)})
    return download(data, f"compliance-{period}", now)
