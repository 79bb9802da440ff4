"""In chromium: the city admin creates an account (TOTP QR shown), the new user signs in, the admin disables it
and the user's open session ends at once."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_admin_creates_and_disables_an_account(new_page):
    admin = new_page()
    sign_in(admin, "admin")
    expect(admin.get_by_test_id("role")).to_have_text("市级管理员")
    admin.click("nav.mainnav >> text=账户管理")
    admin.get_by_test_id("new-user").click()
    admin.fill("input[name=username]", "zhaoliu")
    admin.fill("input[name=display_name]", "赵六")
    admin.select_option("select[name=role]", "county_officer")
    admin.check("input[name=county_codes][value='410703']")
    admin.fill("input[name=phone]", "13700001234")
    admin.fill("input[name=password]", "Weibin-Qu-2026")
    admin.click("button:has-text('创建账户')")
    expect(admin.locator("h1")).to_contain_text("绑定动态口令")
    expect(admin.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    secret = admin.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    user = new_page()
    sign_in(user, "zhaoliu", "Weibin-Qu-2026", secret=secret)
    expect(user.get_by_test_id("scope")).to_contain_text("卫滨区")

    admin.get_by_test_id("enrol-done").click()
    expect(admin.get_by_test_id("open-sessions")).to_have_text("1")
    # The full phone needs a purpose; htmx swaps it in place (vendored htmx + CSRF token), and it is audited.
    expect(admin.get_by_test_id("phone-masked")).to_have_text("137****1234")
    edit_url = admin.url
    admin.get_by_test_id("reveal-purpose").fill("核实新账户联系方式")
    admin.get_by_test_id("reveal").click()
    expect(admin.get_by_test_id("phone-full")).to_have_text("13700001234")
    assert admin.url == edit_url
    admin.on("dialog", lambda d: d.accept())
    admin.get_by_test_id("disable").click()
    expect(admin.get_by_test_id("status")).to_have_text("已停用")
    expect(admin.get_by_test_id("msg")).to_contain_text("1个会话已结束")

    user.reload()
    expect(user).to_have_url(re.compile(r"/login\?next=/"))
    expect(user.get_by_test_id("login-error")).to_contain_text("登录已超时")
    sign_in(user, "zhaoliu", "Weibin-Qu-2026", secret=secret)
    expect(user.get_by_test_id("login-error")).to_have_text("用户名或密码错误。")

    admin.click("nav.mainnav >> text=审计日志")
    admin.fill("input[name=action]", "user.")
    admin.click("button:has-text('查询')")
    table = admin.get_by_test_id("audit-table")
    expect(table).to_contain_text("user.disable")
    expect(table).to_contain_text("user.create")
    admin.fill("input[name=action]", "pii")
    admin.click("button:has-text('查询')")
    expect(table).to_contain_text("核实新账户联系方式")
