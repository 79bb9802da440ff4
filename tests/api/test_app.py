"""The app factory migrates a fresh database on start; the CLI seeds demo accounts and prints TOTP codes."""

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from typer.testing import CliRunner

from shoudai.accounts.demo import demo_totp_secret
from shoudai.cli import app as cli
from shoudai.db import make_engine
from shoudai.web.app import create_app


def test_create_app_migrates_an_empty_database(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        app = create_app(engine=engine)
        assert {"app_user", "audit_event", "user_session"} <= set(inspect(engine).get_table_names())
        assert TestClient(app).get("/healthz").json() == {"ok": True}
    finally:
        engine.dispose()


def test_cli_demo_accounts_and_totp(db_url):
    runner = CliRunner()
    out = runner.invoke(cli, ["web", "demo-accounts"])
    assert out.exit_code == 0, out.output
    for name in ["admin", "county410702", "bankhq", "officer", "clerk", "enterprise"]:
        assert name in out.output
    assert demo_totp_secret("admin") in out.output and "Shoudai@2026demo" in out.output
    again = runner.invoke(cli, ["web", "demo-accounts"])  # idempotent
    assert again.exit_code == 0
    code = runner.invoke(cli, ["web", "totp", "admin"])
    assert code.exit_code == 0 and pyotp.TOTP(demo_totp_secret("admin")).verify(code.output.strip(), valid_window=1)
    assert runner.invoke(cli, ["web", "totp", "somebody"]).exit_code == 2


def test_serve_command_migrates_seeds_and_serves(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SHOUDAI_DATA_DIR": str(tmp_path), "SHOUDAI_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    proc = subprocess.Popen([sys.executable, "-c", "from shoudai.cli import app; app()", "web", "serve", "--demo",
                             "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not come up")
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0].decode()
    assert "county410702" in out and "shoudai web totp admin" in out and f"http://127.0.0.1:{port}/" in out


def test_security_headers_on_pages_and_json_and_static_files_may_be_cached(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'headers.db'}")
    try:
        client = TestClient(create_app(engine=engine))
        for path in ("/healthz", "/login"):
            r = client.get(path)
            assert r.headers["content-security-policy"].startswith("default-src 'self'")
            assert (r.headers["x-content-type-options"], r.headers["x-frame-options"]) == ("nosniff", "DENY")
            assert (r.headers["referrer-policy"], r.headers["cache-control"]) == ("same-origin", "no-store")
        static = client.get("/static/app.css")
        assert static.status_code == 200 and static.headers["x-frame-options"] == "DENY"
        assert "no-store" not in static.headers.get("cache-control", "")
    finally:
        engine.dispose()
