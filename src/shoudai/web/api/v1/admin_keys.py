"""The city admin's page for banks' API keys: issue (secret shown once), list with last use, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from shoudai.accounts import roles
from shoudai.bankapi import keys
from shoudai.web.deps import DB, CurrentUser, Now, lang_of, require_roles
from shoudai.web.templating import _bank_names, _division_names, render

router = APIRouter(prefix="/admin/bank-api-keys", include_in_schema=False)
Admin = Annotated[CurrentUser, Depends(require_roles(roles.CITY_ADMIN))]
# This page's own words (zh, en); a handful of labels did not warrant a catalogue shared with other areas.
WORDS = {
    "title": ("银行接口密钥", "Bank API keys"), "bank": ("银行", "Bank"), "key_id": ("密钥编号", "Key id"),
    "label": ("用途", "Purpose"), "area": ("服务区域", "Service area"), "city": ("全市", "Whole city"),
    "state": ("状态", "State"), "active": ("有效", "Active"), "revoked": ("已吊销", "Revoked"),
    "last_used": ("最近使用", "Last used"), "issued": ("签发", "Issued"), "never": ("从未使用", "Never"),
    "issue": ("签发新密钥", "Issue a key"), "revoke": ("吊销", "Revoke"), "none": ("尚无密钥", "No keys yet"),
    "secret": ("密钥（只显示这一次，请立即安全交付银行）", "Secret (shown only this once: hand it over securely now)"),
    "docs": ("接口文档", "API docs"), "revoked_done": ("已吊销密钥", "Key revoked"),
}


def _page(request: Request, db, *, issued: keys.IssuedKey | None = None, error: str = "", revoked: str = "",
          status_code: int = 200) -> Response:
    en = lang_of(request) == "en"
    return render(request, "apidocs/keys.html", {
        "w": {k: v[1] if en else v[0] for k, v in WORDS.items()}, "rows": keys.list_keys(db),
        "banks": sorted(_bank_names().items()), "divisions": sorted(_division_names().items()),
        "issued": issued, "error": error, "revoked": revoked,
    }, status_code=status_code)


@router.get("")
def key_list(request: Request, cu: Admin, db: DB, revoked: str = "") -> Response:
    return _page(request, db, revoked=revoked[:32])


@router.post("")
def issue(request: Request, cu: Admin, db: DB, now: Now, bank_code: Annotated[str, Form(max_length=32)] = "",
          label: Annotated[str, Form(max_length=100)] = "",
          county_codes: Annotated[list[str], Form()] = []) -> Response:  # noqa: B006 - FastAPI copies defaults
    """Issue a key and show its secret in this answer only (not a redirect: the secret must not sit in a URL)."""
    try:
        issued = keys.issue_key(db, bank_code, label=label, counties=",".join(county_codes), actor=cu.actor, now=now)
    except keys.KeyRefused as exc:
        return _page(request, db, error=str(exc), status_code=422)
    return _page(request, db, issued=issued)


@router.post("/{key_id}/revoke")
def revoke(cu: Admin, db: DB, now: Now, key_id: str) -> Response:
    try:
        keys.revoke_key(db, key_id[:32], actor=cu.actor, now=now)
    except keys.KeyRefused:
        return RedirectResponse("/admin/bank-api-keys", status_code=303)
    return RedirectResponse(f"/admin/bank-api-keys?revoked={key_id[:32]}", status_code=303)
