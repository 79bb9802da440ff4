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
from shoudai.web.deps import DB, CurrentUser, Forbidden, Now, require_roles
from shoudai.web.i18n import translate
from shoudai.web.pages.workbench import download, workbook
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
    chart = {"labels": [bank_name(r["bank_code"]) for r in rows],
             "rate": [round((r["on_time_rate"] or 0) * 100, 1) for r in rows],
             "answer": [r["answer_breaches"] for r in rows], "accept": [r["accept_breaches"] for r in rows],
             "decide": [r["decide_breaches"] for r in rows]}
    return render(request, "compliance/page.html", {"period": period, "rows": rows, "breaches": breaches,
                                                     "chart": chart, "pct": pct, "clocks": sla.CLOCKS})


COLUMNS = (("排名", 6), ("银行", 16), ("推送", 8), ("已答复", 8), ("按时答复", 10), ("答复超时", 10),
           ("已受理", 8), ("受理超时", 10), ("审批超时", 10), ("已放款", 8), ("全程按时", 10), ("按时率", 10))
BREACH_COLUMNS = (("银行", 16), ("需求编号", 14), ("企业", 30), ("超时环节", 20), ("截止时间（北京时间）", 19),
                  ("临时日历", 9), ("发现时间", 17), ("当前阶段", 22))


@router.post("/export")
def export(request: Request, cu: Viewer, db: DB, now: Now, month: Annotated[str, Form()] = "") -> Response:
    """The month's ranked table and its breaches as Excel (two sheets), scoped like the page; audited."""
    period, rows, breaches = figures(db, cu, month, now)
    table = [(r["rank"], bank_name(r["bank_code"]), r["pushed"], r["answered"], r["answered_on_time"],
              r["answer_breaches"], r["accepted"], r["accept_breaches"], r["decide_breaches"], r["disbursed"],
              r["on_time"], pct(r["on_time_rate"])) for r in rows]
    lines = [(bank_name(b.bank_code), b.ref, b.name, translate(f"wb.clock.{b.clock}"),
              local_time(b.due_at, "%Y-%m-%d %H:%M"), "是" if b.provisional else "",
              local_time(b.detected_at, "%Y-%m-%d %H:%M"), translate(f"wb.stage.{b.stage}")) for b in breaches]
    data, _ = workbook(("211时效", f"{period} 211时效考核", COLUMNS, table),
                       ("超时明细", f"{period} 超时明细", BREACH_COLUMNS, lines))
    audit.record(db, cu.actor, "lending.compliance_export", object_type="period", object_id=period, at=now,
                 detail={"banks": len(rows), "breaches": len(breaches), "bank": scope_bank(cu)})
    return download(data, f"compliance-{period}", now)
