"""City admin: search, export and verify the audit trail."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from shoudai.accounts import roles
from shoudai.audit import export, service
from shoudai.audit.service import AuditQuery
from shoudai.web.deps import DB, CurrentUser, Now, require_roles
from shoudai.web.templating import SHANGHAI, render

router = APIRouter(prefix="/admin/audit")
Admin = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN))]
PER_PAGE = 50
EXPORT_LIMIT = 100_000


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def make_query(actor: str, action: str, outcome: str, date_from: str, date_to: str) -> AuditQuery:
    """Filters from the form; dates are Beijing dates, the 'to' date inclusive."""
    d0, d1 = _day(date_from), _day(date_to)
    since = datetime.combine(d0, time(), SHANGHAI) if d0 else None
    until = datetime.combine(d1 + timedelta(days=1), time(), SHANGHAI) if d1 else None
    return AuditQuery(actor=actor.strip().lower() or None, action=action.strip() or None, outcome=outcome or None,
                      since=since, until=until)


@router.get("")
def search_page(request: Request, cu: Admin, db: DB, actor: str = "", action: str = "", outcome: str = "",
                date_from: str = "", date_to: str = "", page: int = 1) -> Response:
    """Search by user, action (prefix), outcome and Beijing date range; newest first."""
    page = max(1, page)
    q = make_query(actor, action, outcome, date_from, date_to)
    rows, total = service.search(db, q, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    filters = {"actor": actor, "action": action, "outcome": outcome, "date_from": date_from, "date_to": date_to}
    return render(request, "admin/audit.html", {
        "rows": rows, "total": total, "page": page, "pages": max(1, math.ceil(total / PER_PAGE)), "f": filters,
    })


@router.post("/export")
def export_xlsx(
    request: Request, cu: Admin, db: DB, now: Now,
    actor: Annotated[str, Form()] = "", action: Annotated[str, Form()] = "", outcome: Annotated[str, Form()] = "",
    date_from: Annotated[str, Form()] = "", date_to: Annotated[str, Form()] = "",
) -> Response:
    """The matching rows as Excel (POST: an export is itself an audited action)."""
    q = make_query(actor, action, outcome, date_from, date_to)
    rows = [ev for _, ev in zip(range(EXPORT_LIMIT), service.iter_matching(db, q), strict=False)]
    data = export.to_xlsx(rows)
    service.record(db, cu.actor, "audit.export", object_type="audit", at=now,
                   detail={"rows": len(rows), "actor": actor, "action": action, "outcome": outcome,
                           "from": date_from, "to": date_to})
    name = f"audit-{now.astimezone(SHANGHAI):%Y%m%d-%H%M%S}.xlsx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/verify")
def verify_page(request: Request, cu: Admin, db: DB) -> Response:
    """Walk the hash chain and report whether any row was changed or removed."""
    return render(request, "admin/audit_verify.html", {"report": service.verify_chain(db)})
