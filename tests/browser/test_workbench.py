"""In chromium: a bank HQ user opens the needs queue, answers one need, bulk-answers two others, sees the 211 page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import demo_site, running_app, sign_in

pytestmark = pytest.mark.browser

# Three needs pushed to ICBC (the demo bank HQ's bank) through the lending services, as the need form would.
SEED = """
import shoudai.models
from datetime import UTC, datetime
from stdnum.cn import uscc as u
from shoudai.db import session_scope
from shoudai.lending import channels, identity, service
from shoudai.lending.forms import NeedForm
now = datetime.now(UTC)
with session_scope() as s:
    channels.create_channel(s, code="wb-browser", name="首贷服务中心", kind="first_loan_centre", county_code="410702",
                            actor="test", now=now)
for n in range(1, 4):
    code = f"92410702MA{n:07d}"
    code += u.calc_check_digit(code)
    name, phone = f"红旗区浏览器商行{n}", f"1390373{n:04d}"
    reg = lambda s, c, name=name: identity.RegistryRecord(c, name, "410702", "individual", "个体工商户", "王*")
    form = NeedForm(uscc=code, name=name, amount_wan="30", term_months="12", purpose="进货周转", guarantee="credit",
                    contact_name="王小明", contact_phone=phone, banks=("ICBC",), consent=True)
    with session_scope() as s:
        need = service.submit_need(s, form, channel="wb-browser", idempotency_key=f"browser-{n:04d}", actor="test",
                                   now=now, registry=reg).need
        otp = identity.issue_otp(s, phone, uscc=code, actor="test", now=now, code_source=lambda: "246810")
        claim = identity.IdentityClaim(code, name, "王小明", phone, otp.id, "246810")
        assert service.verify_and_push(s, need, claim, verifier=identity.OtpRegistryVerifier(reg), actor="test",
                                       now=now).verification.ok
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh SQLite database with the demo accounts and three pushed needs, served by uvicorn."""
    data = tmp_path_factory.mktemp("workbench-web")
    with running_app(demo_site(data, SEED), data) as base:
        yield base


def test_bank_hq_answers_one_need_bulk_answers_two_and_sees_compliance(page):
    sign_in(page, "bankhq")
    page.get_by_test_id("nav-workbench").click()
    rows = page.locator("[data-testid=queue] tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("total")).to_have_text("3")
    for i in range(3):
        expect(rows.nth(i)).to_have_attribute("data-urgency", "ok")
        expect(rows.nth(i)).to_contain_text("剩余 2 个工作日")
    refs = [r.get_attribute("data-testid")[4:] for r in rows.all()]

    # One need: open it, tick two conditions and add one of our own, answer.
    page.get_by_test_id(f"open-{refs[0]}").click()
    expect(page.get_by_test_id("stage")).to_have_text("待答复")
    expect(page.get_by_test_id("consent")).to_contain_text("王*")
    form = page.get_by_test_id("answer-form")
    form.get_by_label("提供近6个月银行流水").check()
    form.get_by_label("提供纳税证明").check()
    form.get_by_test_id("extra-conditions").fill("提供购销合同")
    page.get_by_test_id("answer").click()
    expect(page.get_by_test_id("done")).to_have_text("已答复。")
    expect(page.get_by_test_id("stage")).to_have_text("已答复·待企业满足条件")
    expect(page.get_by_test_id("conditions")).to_contain_text("提供购销合同")
    expect(page.get_by_test_id("conditions-met")).to_be_visible()

    # Bulk: the other two, ticked with "select all" (the answered one has no box any more), one checklist.
    page.get_by_test_id("nav-workbench").click()
    expect(page.locator("[data-testid=queue] input[name=need_bank_id]")).to_have_count(2)
    page.locator("[data-wb-all]").check()
    page.locator(".wb-bulk summary").click()
    page.locator(".wb-bulk").get_by_label("法定代表人到场面签").check()
    page.get_by_test_id("bulk-answer").click()
    expect(page.get_by_test_id("answered")).to_contain_text("已答复 2 条")
    for ref in refs[1:]:
        expect(page.get_by_test_id("answered")).to_contain_text(ref)
        expect(page.get_by_test_id(f"row-{ref}")).to_contain_text("已答复·待企业满足条件")
    expect(page.locator("[data-testid=queue] input[name=need_bank_id]")).to_have_count(0)

    # The 211 page: only this bank, three pushed, three answered on time, the chart drawn.
    page.get_by_test_id("nav-compliance").click()
    expect(page.locator("[data-testid=compliance] tbody tr")).to_have_count(1)
    bank_row = page.get_by_test_id("bank-ICBC")
    expect(bank_row.get_by_test_id("pushed")).to_have_text("3")
    expect(bank_row.get_by_test_id("answered-on-time")).to_have_text("3")
    expect(bank_row.get_by_test_id("rate")).to_have_text("100.0%")
    expect(page.get_by_test_id("chart")).to_have_attribute("data-cp-ready", "1")
