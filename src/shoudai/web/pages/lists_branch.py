"""The branch pool on the lists pages: a bank HQ puts claims in a branch's pool; its loan officers take them (X1)."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from shoudai.accounts import roles
from shoudai.audit import service as audit
from shoudai.outreach import branch
from shoudai.outreach.claims import NotInScope
from shoudai.web.deps import DB, CurrentUser, Now, lang_of, require_roles
from shoudai.web.i18n import translate
from shoudai.web.pages import lists_excel as excel
from shoudai.web.templating import county_name, local_time, render

router = APIRouter()
BankHQ = Annotated[CurrentUser, Depends(require_roles(roles.BANK_HQ))]
Officer = Annotated[CurrentUser, Depends(require_roles(roles.LOAN_OFFICER))]
PoolViewer = Annotated[CurrentUser, Depends(require_roles(roles.LOAN_OFFICER, roles.CITY_ADMIN))]
ClaimIds = Annotated[list[str] | None, Form()]
PER_PAGE = 50
EXPORT_LIMIT = 200_000


def _ids(raw: list[str] | None) -> list[int]:
    try:
        return [int(v) for v in raw or []]
    except ValueError:
        raise HTTPException(status_code=404) from None


def _back(path: str, params: dict) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode(params)}", status_code=303)


@router.get("/branch")
def branch_pool(request: Request, cu: PoolViewer, db: DB, now: Now, page: int = 1,
                taken: int | None = None) -> Response:
    """The officer's branch pool: claims the bank put there, waiting for one of the branch's officers to take them."""
    if cu.role == roles.CITY_ADMIN:
        return RedirectResponse("/lists", status_code=303)
    rows, total = branch.pool(db, cu.scope, now, page=page, per_page=PER_PAGE)
    return render(request, "lists/branch.html", {
        "rows": rows, "total": total, "page": max(1, page), "pages": max(1, math.ceil(total / PER_PAGE)),
        "params": {}, "taken": taken, "branch": cu.scope.branch_code,
    })


@router.post("/take")
def take(request: Request, cu: Officer, db: DB, now: Now, claim_id: ClaimIds = None) -> Response:
    """Take the ticked claims (or one) from the branch pool into the officer's own queue."""
    ids = _ids(claim_id)
    if not ids:
        return RedirectResponse("/lists/branch", status_code=303)
    try:
        n = branch.take(db, cu.scope, ids, actor=cu.actor, now=now)
    except NotInScope:
        raise HTTPException(status_code=404) from None
    return _back("/lists/branch", {"taken": n})


@router.post("/assign-branch")
def assign_branch(request: Request, cu: BankHQ, db: DB, now: Now, claim_id: ClaimIds = None,
                  branch_code: Annotated[str, Form()] = "") -> Response:
    """Put the ticked claims in one branch's pool, for any of its officers to take."""
    ids = _ids(claim_id)
    if not ids:
        return _back("/lists/claims", {"done": 0})
    try:
        n = branch.assign_to_branch(db, cu.scope, ids, branch_code, actor=cu.actor, now=now)
    except NotInScope:
        raise HTTPException(status_code=404) from None
    return _back("/lists/claims", {"pooled": n, "branch": branch_code})


@router.post("/branch/export")
def export_branch_pool(request: Request, cu: Officer, db: DB, now: Now) -> Response:
    """The officer's branch pool as Excel (names of businesses only, no personal data); audited."""
    lang = lang_of(request)
    rows, _ = branch.pool(db, cu.scope, now, page=1, per_page=EXPORT_LIMIT)
    values = ((name, county_name(county), translate("lists.kind." + kind, lang), tier,
               local_time(c.expires_at, "%Y-%m-%d")) for c, name, county, tier, kind in rows)
    title = f"{translate('lists.branch.title', lang)} · {cu.scope.branch_code or ''}"
    data, n = excel.sheet(values, title, lang, excel.BRANCH_POOL_COLUMNS)
    audit.record(db, cu.actor, "lists.export_branch_pool", object_type="branch", object_id=cu.scope.branch_code,
                 at=now, detail={"rows": n})
    return excel.download(data, "branch-pool", now)
