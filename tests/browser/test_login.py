"""In chromium: sign in with the second factor; five wrong passwords lock with a Chinese message; the layout fits."""

import re

import pytest
from playwright.sync_api import expect

from shoudai.accounts.demo import demo_totp_secret

from .conftest import sign_in, totp_now

pytestmark = pytest.mark.browser


def test_login_with_second_factor(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/"))
    expect(page.locator("h1")).to_have_text("用户登录")
    page.fill("input[name=username]", "county410702")
    page.fill("input[name=password]", "Shoudai@2026demo")
    page.click("text=登录 >> nth=-1")
    expect(page).to_have_url(re.compile(r"/login/totp"))
    expect(page.locator("h1")).to_have_text("动态口令验证")
    page.fill("input[name=code]", totp_now(demo_totp_secret("county410702")))
    page.click("button:has-text('验证')")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("role")).to_have_text("县区金融办")
    expect(page.get_by_test_id("scope")).to_contain_text("红旗区")
    expect(page.locator(".topbar .name")).to_have_text("首贷通")
    # 1366x768: nothing spills sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_five_wrong_passwords_show_locked_message(page):
    for attempt in range(1, 6):
        page.goto("/login")
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", f"Wrong-pass-{attempt}")
        page.click("button[type=submit].btn-primary")
        if attempt < 5:
            expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误。")
    expect(page.get_by_test_id("login-error")).to_contain_text("账户已临时锁定")
    expect(page.get_by_test_id("login-error")).to_contain_text("15分钟后再试")
    sign_in(page, "clerk")  # the right password is refused too while the lock holds
    expect(page.get_by_test_id("login-error")).to_contain_text("账户已临时锁定")


def test_language_switch_to_english(page):
    page.goto("/login")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("h1")).to_have_text("用户登录")
