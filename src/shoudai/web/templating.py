"""Jinja2 rendering with the language, the user's role and scope, and the CSRF token in every page."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from shoudai.accounts import roles
from shoudai.accounts.scope import Scope
from shoudai.audit.service import utc
from shoudai.web.deps import CSRF_COOKIE, lang_of
from shoudai.web.i18n import action_label, translate

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
SHANGHAI = ZoneInfo("Asia/Shanghai")


@lru_cache
def _division_names() -> dict[str, str]:
    try:
        from shoudai.reference.loaders import division_names

        return division_names()
    except (OSError, KeyError, ValueError, ImportError):  # reference data missing/broken: show codes, not a 500
        return {}


@lru_cache
def _bank_names() -> dict[str, str]:
    try:
        from shoudai.reference.loaders import banks

        return {b.code: b.short_name or b.name for b in banks()}
    except (OSError, KeyError, ValueError, ImportError):
        return {}


def county_name(code: str) -> str:
    return _division_names().get(code, code)


def bank_name(code: str | None) -> str:
    return _bank_names().get(code or "", code or "")


def describe_scope(scope: Scope, lang: str = "zh") -> str:
    """A short human description of a scope, e.g. '红旗区、卫滨区' or '工商银行 · 网点 ICBC-01'."""
    if scope.role == roles.CITY_ADMIN:
        return translate("scope.city", lang)
    parts = []
    if scope.bank_code:
        parts.append(bank_name(scope.bank_code))
    if scope.branch_code:
        parts.append(f"{translate('scope.branch', lang)} {scope.branch_code}")
    if scope.county_codes:
        parts.append("、".join(county_name(c) for c in scope.county_codes))
    if scope.enterprise_uscc:
        parts.append(scope.enterprise_uscc)
    if scope.role == roles.CENTRE_CLERK and not parts:
        parts.append(translate("scope.centre", lang))
    return " · ".join(parts) or "-"


def local_time(at, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored UTC time shown in Beijing time."""
    return utc(at).astimezone(SHANGHAI).strftime(fmt) if at else ""


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """Render template `name` with the common page context."""
    lang = lang_of(request)
    cu = getattr(request.state, "viewer", None)
    ctx = {
        "lang": lang,
        "_": lambda key, **kw: translate(key, lang, **kw),
        "cu": cu,
        "role_label": (lambda r: roles.label(r, lang)),
        "action_label": (lambda a: action_label(a, lang)),
        "scope_text": describe_scope(cu.scope, lang) if cu else "",
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "local_time": local_time,
        "county_name": county_name,
        "bank_name": bank_name,
        "path": request.url.path,
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
    if getattr(request.state, "csrf_new", False):
        set_cookie(request, response, CSRF_COOKIE, request.state.csrf_token)
    return response


def set_cookie(request: Request, response: Response, key: str, value: str, path: str = "/",
               max_age: int | None = None) -> None:
    """HttpOnly, SameSite=Lax, Secure whenever the request came over HTTPS."""
    response.set_cookie(key, value, path=path, httponly=True, samesite="lax", max_age=max_age,
                        secure=request.url.scheme == "https")
