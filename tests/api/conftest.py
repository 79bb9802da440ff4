"""API/page tests through FastAPI's TestClient on a fresh database (both engines), with an injected clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from shoudai.accounts.demo import DEMO_PASSWORD, demo_totp_secret, seed_demo_accounts
from shoudai.accounts.totp import current_code
from shoudai.db import session_scope
from shoudai.web.app import create_app

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    # Real "now" (audit retention triggers use the database clock), aligned to a TOTP step start.
    now = datetime.now(UTC).replace(microsecond=0)
    return Clock(now - timedelta(seconds=now.second % 30))


@pytest.fixture
def app(db_url, clock):
    app = create_app(clock=clock, migrate_db=False)  # db_url is migrated; test_app_factory covers start-up
    with session_scope(app.state.engine) as s:
        seed_demo_accounts(s, now=clock())
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page carries (what a browser would submit)."""
    return TOKEN_RE.search(client.get(path).text).group(1)


def login(client: TestClient, username: str, clock: Clock, password: str = DEMO_PASSWORD, secret: str | None = None):
    """Sign in through the pages (password, then TOTP if asked); returns the last response."""
    token = csrf_of(client)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                    follow_redirects=False)
    if r.status_code == 303 and r.headers["location"].startswith("/login/totp"):
        code = current_code(secret or demo_totp_secret(username), clock())
        r = client.post("/login/totp", data={"code": code, "csrf_token": token}, follow_redirects=False)
    return r


def page_token(client: TestClient, path: str = "/") -> str:
    return TOKEN_RE.search(client.get(path).text).group(1)


def signed_in_fresh_step(app, clock: Clock, username: str) -> TestClient:
    """A client signed in as `username`, each on a new TOTP step (a used code cannot be replayed)."""
    c = TestClient(app)
    clock.advance(seconds=30)
    assert login(c, username, clock).status_code == 303
    return c
