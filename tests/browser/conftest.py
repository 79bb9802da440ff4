"""Browser tests: uvicorn on a free port against a fresh database, driven by Debian's chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pyotp
import pytest

from shoudai.accounts.demo import demo_totp_secret

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 768}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_site(data, seed: str | None = None) -> dict:
    """The environment of a fresh SQLite site in `data` with the demo accounts; `seed` is Python run against it."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium not installed")
    env = {**os.environ, "SHOUDAI_DATA_DIR": str(data), "SHOUDAI_DATABASE_URL": f"sqlite:///{data / 'web.db'}"}
    subprocess.run([sys.executable, "-c", "from shoudai.cli import app; app()", "web", "demo-accounts"], env=env,
                   check=True, capture_output=True)
    if seed:
        subprocess.run([sys.executable, "-c", seed], env=env, check=True, capture_output=True)
    return env


@contextmanager
def running_app(env: dict, data) -> Iterator[str]:
    """uvicorn serving the app with `env` on a free port; yields the base URL and stops the server afterwards."""
    port = _free_port()
    log = (data / "uvicorn.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "shoudai.web.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError((data / "uvicorn.log").read_text())
            time.sleep(0.1)
        else:
            raise RuntimeError("uvicorn did not start")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh database with the demo accounts, served by uvicorn; yields the base URL."""
    data = tmp_path_factory.mktemp("web")
    with running_app(demo_site(data), data) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, server):
    """A factory of pages, each in its own browser context (its own cookies), sized 1366x768."""
    contexts = []

    def make():
        ctx = browser.new_context(viewport=VIEWPORT, base_url=server, locale="zh-CN")
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page):
    return new_page()


_used_steps: dict[str, int] = {}


def totp_now(secret: str) -> str:
    """The current code; waits for the next 30 s step if this secret's current step was already used (replay guard)."""
    totp = pyotp.TOTP(secret)
    while totp.timecode(datetime.now(UTC)) <= _used_steps.get(secret, -1):
        time.sleep(0.5)
    now = datetime.now(UTC)
    _used_steps[secret] = totp.timecode(now)
    return totp.at(now)


def sign_in(page, username: str, password: str = "Shoudai@2026demo", secret: str | None = None) -> None:
    """Sign in through the pages, passing the TOTP step when asked."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].btn-primary")
    page.wait_for_load_state()
    if "/login/totp" in page.url:
        page.fill("input[name=code]", totp_now(secret or demo_totp_secret(username)))
        page.click("button[type=submit].btn-primary")
        page.wait_for_load_state()
