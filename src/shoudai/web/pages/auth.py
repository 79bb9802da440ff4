"""Login (password, then TOTP for staff), logout and the language switch."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from shoudai.accounts import auth, sessions
from shoudai.accounts.auth import Outcome
from shoudai.web.deps import DB, MFA_COOKIE, SESSION_COOKIE, Now, client_ip, lang_of
from shoudai.web.i18n import LANG_COOKIE, LANGS, translate
from shoudai.web.templating import render, set_cookie

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect off-site after login (open-redirect guard)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _locked_page(request: Request, result: auth.LoginResult, now, username: str) -> Response:
    minutes = max(1, math.ceil((result.locked_until - now).total_seconds() / 60))
    msg = translate("login.locked", lang_of(request), minutes=minutes)
    return render(request, "login.html", {"error": msg, "locked": True, "username": username}, status_code=429)


@router.get("/login")
def login_form(request: Request, db: DB, now: Now, next: str = "/", expired: int = 0) -> Response:
    """The sign-in form (already signed in: go home)."""
    if sessions.resolve(db, request.cookies.get(SESSION_COOKIE), now=now):
        return RedirectResponse(safe_next(next), status_code=303)
    error = translate("login.expired", lang_of(request)) if expired else None
    return render(request, "login.html", {"next": safe_next(next), "error": error})


@router.post("/login")
def login_submit(
    request: Request, db: DB, now: Now,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password: staff continue to the TOTP step, enterprises are in."""
    result = auth.login_password(db, username, password, now=now, source=client_ip(request),
                                 user_agent=request.headers.get("user-agent"))
    if result.outcome is Outcome.LOCKED:
        return _locked_page(request, result, now, username)
    if result.outcome is Outcome.BAD:
        msg = translate("login.bad", lang_of(request))
        return render(request, "login.html", {"error": msg, "username": username, "next": safe_next(next)},
                      status_code=401)
    if result.outcome is Outcome.NEED_TOTP:
        resp = RedirectResponse(f"/login/totp?next={safe_next(next)}", status_code=303)
        set_cookie(request, resp, MFA_COOKIE, result.token, path="/login")
        return resp
    return _signed_in(request, result.token, next)


def _signed_in(request: Request, token: str, next: str) -> Response:
    resp = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(request, resp, SESSION_COOKIE, token)
    resp.delete_cookie(MFA_COOKIE, path="/login")
    return resp


@router.get("/login/totp")
def totp_form(request: Request, db: DB, now: Now, next: str = "/") -> Response:
    """The second-factor form; without a pending password step, back to the login form."""
    if auth.pending_user(db, request.cookies.get(MFA_COOKIE), now) is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "totp.html", {"next": safe_next(next)})


@router.post("/login/totp")
def totp_submit(
    request: Request, db: DB, now: Now,
    code: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the TOTP code; success gives a brand-new session id."""
    pending = request.cookies.get(MFA_COOKIE)
    found = auth.pending_user(db, pending, now)
    result = auth.login_totp(db, pending, code, now=now, source=client_ip(request),
                             user_agent=request.headers.get("user-agent"))
    if result.outcome is Outcome.OK:
        return _signed_in(request, result.token, next)
    if result.outcome is Outcome.LOCKED:
        resp = _locked_page(request, result, now, found[1].username if found else "")
        resp.delete_cookie(MFA_COOKIE, path="/login")
        return resp
    if found is None:  # pending step expired or never happened
        return RedirectResponse("/login?expired=1", status_code=303)
    return render(request, "totp.html", {"error": translate("totp.bad", lang_of(request)), "next": safe_next(next)},
                  status_code=401)


@router.post("/logout")
def logout(request: Request, db: DB, now: Now) -> Response:
    """End this session (POST only: a GET never changes state)."""
    found = sessions.resolve(db, request.cookies.get(SESSION_COOKIE), now=now)
    if found:
        auth.logout(db, found[0], found[1], now=now, source=client_ip(request))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.post("/lang")
def set_lang(request: Request, lang: Annotated[str, Form()] = "zh", next: Annotated[str, Form()] = "/") -> Response:
    """Switch the page language (cookie `lang`)."""
    resp = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(request, resp, LANG_COOKIE, lang if lang in LANGS else "zh", max_age=365 * 24 * 3600)
    return resp
