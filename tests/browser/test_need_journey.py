"""In chromium at phone size (390×844): scan → form → one-time code → pushed → the bank answers → the business signs
in to /status and sees the answer. Codes are read from the demo SMS gateway's file, delivered by the real worker."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select, update
from stdnum.cn import uscc as stdnum_uscc

from shoudai.db import session_scope
from shoudai.lending import actions, channels, service
from shoudai.lending.models import Need, RateBucket
from shoudai.outreach import sample
from shoudai.registry.models import ListEntry

from .conftest import demo_site, running_app

pytestmark = pytest.mark.browser

PHONE_SIZE = {"width": 390, "height": 844}
PHONE = "13800138000"
USCC = "92410782MA0000001" + stdnum_uscc.calc_check_digit("92410782MA0000001")
NAME = "辉县市便民百货店"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """Data dir, environment and database URL of a fresh demo site with one channel and one registry entry."""
    data = tmp_path_factory.mktemp("need-web")
    env = demo_site(data)
    engine = create_engine(env["SHOUDAI_DATABASE_URL"])
    with session_scope(engine) as s:
        channels.create_channel(s, code="hx-tax", name="辉县市税务局办税服务厅", kind="tax_hall",
                                county_code="410782", actor="test:seed")
        version = sample.add_version(s, 2026, 1, counties=("410782",))
        entry = s.scalars(select(ListEntry).where(ListEntry.version_id == version.id)).one()
        entry.entity_key = entry.uscc = USCC  # a credit code is the key, as every build writes it
        entry.name, entry.legal_rep_masked, entry.registry_type = NAME, "王*", "个体工商户"
    yield {"data": data, "env": env, "engine": engine}
    engine.dispose()


@pytest.fixture(scope="module")
def server(web):
    """As conftest's server, on the seeded site above."""
    with running_app(web["env"], web["data"]) as base:
        yield base


def sms_code(web) -> str:
    """Deliver the outbox once (the real worker), then read the newest code from the demo gateway's sms.log."""
    subprocess.run([sys.executable, "-c", "from shoudai.cli import app; app()", "lending", "worker", "--once",
                    "--sweep-every", "0"], env=web["env"], check=True, capture_output=True)
    lines = [json.loads(x) for x in Path(web["data"], "sms.log").read_text(encoding="utf-8").splitlines()]
    texts = [x["text"] for x in lines if x["phone"] == PHONE and "验证码" in x["text"]]
    return re.search(r"验证码为 (\d{6})", texts[-1]).group(1)


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]


def test_scan_fill_verify_then_see_the_bank_answer(browser, server, web):
    ctx = browser.new_context(viewport=PHONE_SIZE, base_url=server, locale="zh-CN", is_mobile=True, has_touch=True)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    try:
        page.goto(channels.channel_url("hx-tax", base_url=server))
        expect(page.locator("h1")).to_have_text("融资需求登记")
        fits(page)
        # The credit code pre-fills name, type and county from the registry (HTMX).
        page.get_by_test_id("uscc").fill(USCC.lower())
        page.get_by_test_id("uscc").blur()
        expect(page.get_by_test_id("name")).to_have_value(NAME)
        expect(page.get_by_test_id("biz-county")).to_have_text("辉县市")
        page.get_by_test_id("amount").fill("50")
        page.get_by_test_id("purpose").fill("进货周转")
        page.get_by_test_id("guarantee").select_option("credit")
        page.check("input[name=banks][value=HXRCB]")
        page.check("input[name=banks][value=PSBC]")
        expect(page.get_by_test_id("consent-banks").locator("li")).to_have_count(2)  # the consent names each bank
        expect(page.get_by_test_id("consent-banks")).to_contain_text("辉县农商银行")
        expect(page.get_by_test_id("consent-banks")).to_contain_text("邮储银行")
        page.get_by_test_id("contact-name").fill("王小明")
        page.get_by_test_id("contact-phone").fill(PHONE)
        page.get_by_test_id("submit").click()
        expect(page.get_by_test_id("error-consent")).to_be_visible()  # consent is never assumed
        page.get_by_test_id("consent").check()
        page.get_by_test_id("submit").click()
        expect(page.locator("h1")).to_have_text("手机验证")
        fits(page)
        page.get_by_test_id("send-code").click()
        expect(page.get_by_test_id("code-sent")).to_contain_text("138****8000")
        page.get_by_test_id("legal-rep").fill("王小明")
        page.get_by_test_id("otp").fill(sms_code(web))
        page.get_by_test_id("verify").click()
        expect(page.get_by_test_id("done")).to_have_text("需求已推送")
        ref = page.get_by_test_id("ref").inner_text()
        fits(page)

        # The bank answers (its workbench is another page; the domain step is the same).
        with session_scope(web["engine"]) as s:
            need = s.scalar(select(Need).where(Need.ref == ref))
            assert s.get(channels.Channel, need.channel_id).code == "hx-tax"
            row = next(r for r in service.tracks_of(s, need) if r.bank_code == "HXRCB")
            actions.answer(s, row.id, ["提供近6个月银行流水"], bank_code="HXRCB", actor="bank:hxrcb",
                           now=datetime.now(UTC))
            # A minute passes: the one-code-a-minute limit per phone would otherwise hold the sign-in code back.
            s.execute(update(RateBucket).where(RateBucket.key.like("otp_phone_burst:%"))
                      .values(window_start=datetime.now(UTC) - timedelta(minutes=2)))

        page.get_by_test_id("status-link").click()
        page.get_by_test_id("status-uscc").fill(USCC)
        page.get_by_test_id("status-phone").fill(PHONE)
        page.get_by_test_id("status-send").click()
        expect(page.get_by_test_id("code-sent")).to_be_visible()
        page.get_by_test_id("status-otp").fill(sms_code(web))
        page.get_by_test_id("status-login").click()
        page.get_by_test_id(f"need-{ref}").click()
        expect(page.get_by_test_id("track-HXRCB")).to_contain_text("辉县农商银行已反馈初步意向")
        expect(page.get_by_test_id("conditions")).to_contain_text("提供近6个月银行流水")
        expect(page.get_by_test_id("track-PSBC")).to_contain_text("反馈初步意向")
        expect(page.get_by_test_id("timeline")).to_contain_text("银行反馈初步意向")
        fits(page)
        page.get_by_test_id("claim-HXRCB").click()
        expect(page.get_by_test_id("track-HXRCB")).to_contain_text("等待银行确认")
    finally:
        ctx.close()
