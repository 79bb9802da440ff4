"""The application factory: `uvicorn --factory shoudai.web.app:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shoudai import migrate
from shoudai.config import get_settings
from shoudai.db import get_engine, open_connections
from shoudai.kit import direct
from shoudai.web.api import me, public_needs
from shoudai.web.api import oversight as oversight_api
from shoudai.web.api import v1 as bank_api
from shoudai.web.deps import SESSION_COOKIE, Forbidden, LoginRequired, csrf_protect, lang_of
from shoudai.web.i18n import translate
from shoudai.web.pages import (
    accounts,
    audit,
    auth,
    compliance,
    home,
    need_form,
    need_status,
    oversight,
    oversight_admin,
    workbench,
)
from shoudai.web.pages import lists as list_pages
from shoudai.web.pages import me as my_account
from shoudai.web.templating import render

STATIC = Path(__file__).parent / "static"
# No CDN, no inline script: everything comes from this origin (government intranets have no internet).
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(*, clock: Callable[[], datetime] | None = None, engine: Engine | None = None,
               migrate_db: bool = True) -> FastAPI:
    """Build the app; migrates the database to the newest schema first unless told not to."""
    engine = engine or get_engine()
    if migrate_db:
        migrate.upgrade(engine.url.render_as_string(hide_password=False))
    app = FastAPI(title="首贷通 Shoudai", version="1", dependencies=[Depends(csrf_protect)], lifespan=_warm_up,
                  # No OpenTelemetry here: FastAPI's native hooks otherwise look for a configured provider per request.
                  telemetry={"tracing": False, "metrics": False, "logs": False},
                  # FastAPI's own Swagger page loads from a CDN: off. The bank API's docs (/api/docs) use a vendored copy.
                  docs_url=None, openapi_url="/api/openapi.json", redoc_url=None)
    app.state.engine = engine
    app.state.clock = clock or (lambda: datetime.now(UTC))
    app.state.settings = get_settings()
    # The public API first: routes are matched in order, and it takes the public traffic (the submission, matched
    # after every other router, spent about a twentieth of its CPU there). Its prefix, /api/v1/public, is no one
    # else's. The submission itself is served by a plain route ahead of its documented APIRoute.
    app.router.routes.extend(public_needs.SERVED_FIRST)
    app.include_router(public_needs.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, home, my_account, accounts, audit, oversight, me, oversight_api, list_pages):
        app.include_router(module.router)
    app.include_router(oversight_admin.router)
    for module in (need_form, need_status, workbench, compliance, bank_api):
        app.include_router(module.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"ok": True}

    @app.exception_handler(LoginRequired)
    def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "not authenticated"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        had_session = SESSION_COOKIE in request.cookies
        url = f"/login?next={quote(target)}" + ("&expired=1" if had_session else "")
        if request.headers.get("hx-request"):
            resp: Response = Response(status_code=204, headers={"HX-Redirect": url})
        else:
            resp = RedirectResponse(url, status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "forbidden"}, status_code=403)
        return render(request, "error.html", {"message": translate("error.403", lang_of(request))}, status_code=403)

    @app.exception_handler(HTTPException)
    def _http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        key = {403: "error.csrf" if exc.detail == "csrf" else "error.403", 404: "error.404"}.get(exc.status_code)
        message = translate(key, lang_of(request)) if key else str(exc.detail)
        return render(request, "error.html", {"message": message}, status_code=exc.status_code)

    app.add_middleware(SecurityHeaders)
    return app


@asynccontextmanager
async def _warm_up(app: FastAPI) -> AsyncIterator[None]:
    """Before the first request: the hot statements compiled and the submission threads' connections opened.

    Why: a worker started under load otherwise spends its first second doing both inside requests, and the
    submissions queued behind them waited a few hundred milliseconds (bench/need_submit_bench.py --timeline)."""
    engine = app.state.engine
    direct.compile_all(engine.dialect)
    if engine.dialect.name == "postgresql":  # SQLite connections cost nothing to open
        await run_in_threadpool(open_connections, engine, app.state.settings.submit_threads)
    yield


class SecurityHeaders:
    """Every response's security headers, as plain ASGI middleware.

    Why not `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs each request through a task group and
    a memory stream, measurable on the public submission, which has a budget of a few milliseconds."""

    HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
               ("Referrer-Policy", "same-origin"))

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.HEADERS:
                    headers.setdefault(name, value)
                if not cacheable:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
