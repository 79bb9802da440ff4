"""City admin pages: accounts (create with TOTP enrolment, edit, disable ends sessions), audit search and export."""

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from shoudai.accounts.models import User
from shoudai.audit.models import AuditEvent
from shoudai.db import session_scope

from .conftest import login, page_token

NEW = {"username": "wang5", "display_name": "王五", "role": "county_officer", "county_codes": ["410702", "410703"],
       "password": "Weiyi-Qu-2026", "phone": "13912345678"}


def user_id(app, username):
    with session_scope(app.state.engine) as s:
        return s.scalar(select(User.id).where(User.username == username))


def test_only_city_admin_reaches_admin_pages(app, clock):
    for i, name in enumerate(["county410702", "bankhq", "officer", "clerk", "enterprise"]):
        c = TestClient(app)
        clock.advance(seconds=30)
        login(c, name, clock)
        for path in ["/admin/users", "/admin/users/new", "/admin/users/1", "/admin/audit", "/admin/audit/verify"]:
            assert c.get(path).status_code == 403, (name, path)
        assert c.post("/admin/users/1/disable", data={"csrf_token": page_token(c)}).status_code == 403
        assert c.post("/admin/audit/export", data={"csrf_token": page_token(c)}).status_code == 403
    anon = TestClient(app)
    assert anon.get("/admin/users", follow_redirects=False).status_code == 303
    assert anon.get("/api/v1/me").status_code == 401


def test_me_reports_scope_and_masks_phone(app, client, clock):
    login(client, "county410702", clock)
    me = client.get("/api/v1/me").json()
    assert me["scope"] == {"role": "county_officer", "county_codes": ["410702"], "bank_code": None,
                           "branch_code": None, "enterprise_uscc": None}
    assert re.fullmatch(r"138\*{4}\d{4}", me["phone_masked"])
    assert "红旗区" in client.get("/").text


def test_create_account_shows_qr_and_secret_and_new_user_can_sign_in(app, client, clock):
    login(client, "admin", clock)
    r = client.post("/admin/users", data={**NEW, "csrf_token": page_token(client)})
    assert r.status_code == 200 and "<svg" in r.text
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', r.text).group(1)
    listing = client.get("/admin/users?q=wang5").text
    assert "王五" in listing and "139****5678" in listing and "13912345678" not in listing
    assert "红旗区" in listing and "卫滨区" in listing
    newbie = TestClient(app)
    r = login(newbie, "wang5", clock, password=NEW["password"], secret=secret)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert newbie.get("/api/v1/me").json()["scope"]["county_codes"] == ["410702", "410703"]


def test_create_account_errors_are_shown(client, clock):
    login(client, "admin", clock)
    r = client.post("/admin/users", data={**NEW, "password": "short", "county_codes": [],
                                          "csrf_token": page_token(client)})
    assert r.status_code == 422 and "至少10位" in r.text and "县区用户至少需要一个县区代码" in r.text
    assert 'value="王五"' in r.text  # the form keeps what was typed


def test_edit_account_scope(app, client, clock):
    login(client, "admin", clock)
    uid = user_id(app, "county410702")
    r = client.post(f"/admin/users/{uid}", data={"display_name": "红旗区金融办", "role": "county_officer",
                                                 "county_codes": ["410711"], "csrf_token": page_token(client)},
                    follow_redirects=False)
    assert r.status_code == 303
    with session_scope(app.state.engine) as s:
        user = s.get(User, uid)
        assert user.county_codes == "410711" and user.phone_enc, "blank phone keeps the old one"


def test_disable_ends_open_session_at_once(app, client, clock):
    victim = TestClient(app)
    login(victim, "officer", clock)
    assert victim.get("/").status_code == 200
    login(client, "admin", clock)
    uid = user_id(app, "officer")
    assert 'data-testid="open-sessions">1<' in client.get(f"/admin/users/{uid}").text
    r = client.post(f"/admin/users/{uid}/disable", data={"csrf_token": page_token(client, f"/admin/users/{uid}")})
    assert r.status_code == 200 and "1个会话已结束" in r.text
    assert victim.get("/", follow_redirects=False).status_code == 303
    assert victim.get("/api/v1/me").status_code == 401
    clock.advance(seconds=30)
    assert login(TestClient(app), "officer", clock).status_code == 401
    r = client.post(f"/admin/users/{uid}/enable", data={"csrf_token": page_token(client)})
    assert r.status_code == 200
    clock.advance(seconds=30)
    assert login(TestClient(app), "officer", clock).status_code == 303


def test_admin_cannot_disable_self(app, client, clock):
    login(client, "admin", clock)
    uid = user_id(app, "admin")
    r = client.post(f"/admin/users/{uid}/disable", data={"csrf_token": page_token(client)})
    assert r.status_code == 422 and client.get("/").status_code == 200


def test_reset_totp_old_code_stops_working(app, client, clock):
    login(client, "admin", clock)
    uid = user_id(app, "clerk")
    r = client.post(f"/admin/users/{uid}/reset-totp", data={"csrf_token": page_token(client)})
    new_secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', r.text).group(1)
    clock.advance(seconds=30)
    assert login(TestClient(app), "clerk", clock).status_code == 401  # demo secret no longer valid
    assert login(TestClient(app), "clerk", clock, secret=new_secret).status_code == 303


def test_audit_search_export_and_verify(app, client, clock):
    login(client, "admin", clock)
    page = client.get("/admin/audit?actor=admin&action=login").text
    assert "login.success" in page and "user.create" not in page
    today = clock().astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert "login.success" in client.get(f"/admin/audit?actor=admin&date_from={today}&date_to={today}").text
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert "login.success" not in client.get(f"/admin/audit?actor=admin&date_from={tomorrow}").text
    r = client.post("/admin/audit/export", data={"actor": "admin", "action": "login",
                                                 "csrf_token": page_token(client)})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[0][2] == "用户" and {row[4] for row in rows[1:]} == {"login.password_ok", "login.success"}
    with session_scope(app.state.engine) as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
        assert ev.actor == "admin" and '"rows":2' in ev.detail
    assert 'data-testid="chain-ok"' in client.get("/admin/audit/verify").text


def test_pages_render_at_both_languages(client, clock):
    login(client, "admin", clock)
    for path in ["/", "/admin/users", "/admin/users/new", "/admin/audit"]:
        assert client.get(path).status_code == 200
    client.cookies.set("lang", "en")
    assert "Accounts" in client.get("/admin/users").text


def test_enterprise_made_staff_gets_totp_enrolment(app, client, clock):
    login(client, "admin", clock)
    uid = user_id(app, "enterprise")
    r = client.post(f"/admin/users/{uid}", data={"display_name": "转岗", "role": "centre_clerk",
                                                 "csrf_token": page_token(client)})
    assert r.status_code == 200 and 'data-testid="totp-secret"' in r.text
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', r.text).group(1)
    assert login(TestClient(app), "enterprise", clock, secret=secret).status_code == 303


def test_audit_page_names_actions_in_chinese(client, clock):
    login(client, "admin", clock)
    page = client.get("/admin/audit").text
    assert "登录成功" in page and "新建账户" in page and "系统" in page


def test_reveal_phone_needs_purpose_and_is_audited(app, client, clock):
    login(client, "admin", clock)
    uid = user_id(app, "officer")
    page = client.get(f"/admin/users/{uid}").text
    assert re.search(r'data-testid="phone-masked">138\*{4}\d{4}<', page)
    token = page_token(client, f"/admin/users/{uid}")
    r = client.post(f"/admin/users/{uid}/reveal-phone", data={"purpose": "", "csrf_token": token},
                    headers={"HX-Request": "true"})
    assert "请填写查看用途" in r.text and "phone-full" not in r.text and "<html" not in r.text
    r = client.post(f"/admin/users/{uid}/reveal-phone", data={"purpose": "核实客户经理身份", "csrf_token": token},
                    headers={"HX-Request": "true"})
    assert re.search(r'data-testid="phone-full">1380373\d{4}<', r.text)
    assert "<html" in client.post(f"/admin/users/{uid}/reveal-phone",
                                  data={"purpose": "无脚本时整页", "csrf_token": token}).text
    with session_scope(app.state.engine) as s:
        evs = s.scalars(select(AuditEvent).where(AuditEvent.action == "pii.reveal")).all()
        assert len(evs) == 2 and evs[0].object_id == str(uid) and "核实客户经理身份" in evs[0].detail
