"""Request dependencies: the unit of work, the clock, the current user, role checks, CSRF, page rendering."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shoudai.accounts import sessions
from shoudai.accounts.models import User, UserSession
from shoudai.accounts.scope import Scope
from shoudai.audit.actor import Actor
from shoudai.db import session_scope
from shoudai.web.i18n import LANG_COOKIE, pick_lang

SESSION_COOKIE = "sd_session"
MFA_COOKIE = "sd_mfa"
CSRF_COOKIE = "sd_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """No live session: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but the role or scope does not allow this."""


def get_db(request: Request) -> Iterator[Session]:
    """One request = one transaction: commit when the endpoint returns, roll back if it raises."""
    with session_scope(request.app.state.engine) as db:
        yield db


# scope="function": commit before the response is sent, so a reply never acknowledges an uncommitted change.
DB = Annotated[Session, Depends(get_db, scope="function")]


def get_now(request: Request) -> datetime:
    """The request's time from the app's clock (tests inject one)."""
    return request.app.state.clock()


Now = Annotated[datetime, Depends(get_now)]


def client_ip(request: Request) -> str:
    """The client address (uvicorn's --proxy-headers fills it from a trusted proxy)."""
    return request.client.host if request.client else "-"


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in user, its session, its Scope (for service queries) and its audit Actor."""

    user: User
    session: UserSession
    scope: Scope
    actor: Actor

    @property
    def role(self) -> str:
        return self.user.role


@dataclass(frozen=True)
class Viewer:
    """Plain facts about the signed-in user for templates (safe after the request's transaction has ended)."""

    id: int
    username: str
    display_name: str
    role: str
    scope: Scope
    signed_in_at: datetime


def current_user(request: Request, db: DB, now: Now) -> CurrentUser:
    """The user of a live, fully authenticated session; raises LoginRequired otherwise."""
    found = sessions.resolve(db, request.cookies.get(SESSION_COOKIE), now=now)
    if found is None:
        raise LoginRequired()
    row, user = found
    cu = CurrentUser(user, row, user.scope, Actor(user.username, user.role, user.id, client_ip(request)))
    request.state.viewer = Viewer(user.id, user.username, user.display_name, user.role, cu.scope, row.created_at)
    return cu


Current = Annotated[CurrentUser, Depends(current_user)]


def require_roles(*roles: str) -> Callable[[CurrentUser], CurrentUser]:
    """A dependency admitting only `roles` (403 for everyone else)."""

    def check(cu: Current) -> CurrentUser:
        if cu.role not in roles:
            raise Forbidden()
        return cu

    return check


# --- CSRF: session-bound synchroniser token; before login a double-submit cookie. ---

def expected_csrf(db: Session, request: Request) -> tuple[str | None, bool]:
    """The token this request must carry, and whether it is a new anonymous one (cookie to be set)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        row = db.get(UserSession, sessions.token_id(token))
        if row is not None and row.ended_at is None and row.stage == sessions.STAGE_FULL:
            return row.csrf_token, False
    anon = request.cookies.get(CSRF_COOKIE)
    if anon and len(anon) >= 32:
        return anon, False
    return secrets.token_urlsafe(32), True


def _expected_in_thread(request: Request) -> tuple[str | None, bool]:
    with session_scope(request.app.state.engine) as db:
        return expected_csrf(db, request)


# Requests that no cookie authenticates need no CSRF token: the public need API (anonymous, rate-limited) and
# bank API calls signed with a key (a browser cannot add this header cross-site without a CORS preflight).
PUBLIC_API_PREFIX = "/api/v1/public/"
API_KEY_HEADER = "X-Api-Key"


def cookie_free(request: Request) -> bool:
    """True when the request is authenticated (or anonymous) without any cookie, so CSRF cannot apply."""
    path = request.url.path
    if path.startswith(PUBLIC_API_PREFIX):
        return True
    # A key-signed call carries no session: one that also brings the session cookie is checked as a browser's.
    return path.startswith("/api/v1/") and API_KEY_HEADER in request.headers and SESSION_COOKIE not in request.cookies


async def csrf_protect(request: Request) -> None:
    """App-wide: every non-GET request must carry the token (form field or X-CSRF-Token header), else 403."""
    if cookie_free(request):
        request.state.csrf_token, request.state.csrf_new = None, False
        return
    expected, is_new = await run_in_threadpool(_expected_in_thread, request)
    request.state.csrf_token, request.state.csrf_new = expected, is_new
    if request.method in SAFE_METHODS:
        return
    submitted = request.headers.get(CSRF_HEADER)
    if not submitted and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # Starlette caches it: the endpoint reads the same form
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if is_new or not submitted or not hmac.compare_digest(submitted.encode(), (expected or "").encode()):
        raise HTTPException(status_code=403, detail="csrf")


def lang_of(request: Request) -> str:
    return pick_lang(request.cookies.get(LANG_COOKIE))
