"""Login with the second factor, lockout, timeouts, CSRF and the language switch, through HTTP."""


from fastapi.testclient import TestClient
from sqlalchemy import select

from shoudai.accounts.demo import demo_totp_secret
from shoudai.accounts.totp import current_code
from shoudai.audit.models import AuditEvent
from shoudai.db import session_scope

from .conftest import csrf_of, login, page_token


def test_login_with_totp_gives_new_session_cookie(client, clock):
    token = csrf_of(client)
    r = client.post("/login", data={"username": "admin", "password": "Shoudai@2026demo", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login/totp")
    assert "sd_session" not in r.cookies, "no real session before the second factor"
    mfa = client.cookies.get("sd_mfa")
    assert client.get("/", follow_redirects=False).status_code == 303  # password alone is not enough
    code = current_code(demo_totp_secret("admin"), clock())
    r = client.post("/login/totp", data={"code": code, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    session_cookie = client.cookies.get("sd_session")
    assert session_cookie and session_cookie != mfa
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=lax" in r.headers["set-cookie"].lower()
    home = client.get("/")
    assert home.status_code == 200 and "市级管理员" in home.text and "全市" in home.text and "首贷通" in home.text


def test_enterprise_needs_no_totp(client, clock):
    r = login(client, "enterprise", clock)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "91410702MA44DE7M01" in client.get("/").text


def test_wrong_totp_refused(client, clock):
    token = csrf_of(client)
    client.post("/login", data={"username": "admin", "password": "Shoudai@2026demo", "csrf_token": token})
    good = current_code(demo_totp_secret("admin"), clock())
    r = client.post("/login/totp", data={"code": f"{(int(good) + 1) % 10**6:06d}", "csrf_token": token})
    assert r.status_code == 401 and "动态口令错误" in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_five_wrong_passwords_lock_with_chinese_message(client, clock):
    token = csrf_of(client)
    for i in range(4):
        r = client.post("/login", data={"username": "county410702", "password": "Wrong-pass-1", "csrf_token": token})
        assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = client.post("/login", data={"username": "county410702", "password": "Wrong-pass-1", "csrf_token": token})
    assert r.status_code == 429 and "账户已临时锁定" in r.text and "15分钟" in r.text
    clock.advance(minutes=10)
    r = login(client, "county410702", clock)
    assert r.status_code == 429 and "5分钟" in r.text, "right password still refused while locked"
    clock.advance(minutes=5)
    r = login(client, "county410702", clock)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_idle_timeout_ends_session(client, clock):
    login(client, "admin", clock)
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    r = client.get("/admin/users", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/admin/users")
    assert "expired=1" in r.headers["location"]
    assert "登录已超时" in client.get(r.headers["location"]).text


def test_absolute_timeout_after_12_hours_despite_activity(client, clock):
    login(client, "admin", clock)
    for _ in range(35):  # every 20 minutes for 11h40m
        clock.advance(minutes=20)
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=20)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_is_post_only_and_ends_session(client, clock):
    login(client, "admin", clock)
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200
    old = client.cookies.get("sd_session")
    r = client.post("/logout", data={"csrf_token": page_token(client)}, follow_redirects=False)
    assert r.status_code == 303
    replay = TestClient(client.app)
    replay.cookies.set("sd_session", old)
    assert replay.get("/", follow_redirects=False).status_code == 303


def test_csrf_required_on_every_post(app, client, clock):
    anon = TestClient(app)
    assert anon.post("/login", data={"username": "admin", "password": "x"}).status_code == 403
    assert anon.post("/lang", data={"lang": "en"}).status_code == 403
    login(client, "admin", clock)
    for path in ["/logout", "/admin/users", "/admin/users/2/disable", "/admin/users/2/reset-totp",
                 "/admin/audit/export", "/lang"]:
        assert client.post(path, data={}).status_code == 403, path
        assert client.post(path, data={"csrf_token": "forged" * 8}).status_code == 403, path
    # A token from another user's session is no good here either.
    other = TestClient(app)
    clock.advance(seconds=30)
    login(other, "bankhq", clock)
    assert client.post("/admin/users/2/disable", data={"csrf_token": page_token(other)}).status_code == 403
    # The header form (htmx) is accepted.
    r = client.post("/lang", data={"lang": "en"}, headers={"X-CSRF-Token": page_token(client)},
                    follow_redirects=False)
    assert r.status_code == 303
    with session_scope(app.state.engine) as s:
        assert not s.scalars(select(AuditEvent).where(AuditEvent.action == "user.disable")).first()


def test_open_redirect_refused(client, clock):
    token = csrf_of(client)
    r = client.post("/login", data={"username": "enterprise", "password": "Shoudai@2026demo", "csrf_token": token,
                                    "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_language_switch(client, clock):
    assert "用户登录" in client.get("/login").text
    r = client.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": csrf_of(client)},
                    follow_redirects=False)
    assert r.headers["location"] == "/login"
    page = client.get("/login").text
    assert "Sign in" in page and "用户登录" not in page
    r = client.post("/login", data={"username": "x", "password": "y", "csrf_token": csrf_of(client)})
    assert "Wrong username or password" in r.text


def test_security_headers(client):
    r = client.get("/login")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"


def test_vendored_assets_served_locally(client):
    page = client.get("/login").text
    assert "https://" not in page and "http://" not in page
    for path in ["/static/vendor/htmx-4.0.1.min.js", "/static/vendor/echarts-6.1.0.min.js", "/static/app.css"]:
        assert client.get(path).status_code == 200, path


def test_login_events_audited(app, client, clock):
    client.post("/login", data={"username": "admin", "password": "nope", "csrf_token": csrf_of(client)})
    login(client, "admin", clock)
    with session_scope(app.state.engine) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.actor == "admin").order_by(AuditEvent.id)).all()
        assert [(e.action, e.outcome) for e in rows][-3:] == [
            ("login.failure", "failure"), ("login.password_ok", "success"), ("login.success", "success")]
        assert rows[-1].source == "testclient"


def test_change_own_password_keeps_this_session_ends_others(app, client, clock):
    login(client, "county410702", clock)
    other = TestClient(app)
    clock.advance(seconds=30)
    login(other, "county410702", clock)
    token = page_token(client, "/account/password")
    r = client.post("/account/password", data={"current": "nope", "new": "Hongqi-Qu-2027", "confirm": "Hongqi-Qu-2027",
                                               "csrf_token": token})
    assert r.status_code == 422 and "当前密码不正确" in r.text
    r = client.post("/account/password", data={"current": "Shoudai@2026demo", "new": "short", "confirm": "short",
                                               "csrf_token": token})
    assert r.status_code == 422 and "至少10位" in r.text
    r = client.post("/account/password", data={"current": "Shoudai@2026demo", "new": "Hongqi-Qu-2027",
                                               "confirm": "Hongqi-Qu-2027", "csrf_token": token})
    assert r.status_code == 200 and "密码已修改" in r.text
    assert client.get("/", follow_redirects=False).status_code == 200
    assert other.get("/", follow_redirects=False).status_code == 303
    clock.advance(seconds=30)
    assert login(TestClient(app), "county410702", clock).status_code == 401
    clock.advance(seconds=30)
    assert login(TestClient(app), "county410702", clock, password="Hongqi-Qu-2027").status_code == 303
