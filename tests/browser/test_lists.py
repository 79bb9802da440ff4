"""In chromium: a county officer filters and downloads; a bank claims in bulk and assigns; its loan officer records
a contact; a county officer opening another county's entity gets 404."""

from __future__ import annotations

import openpyxl
import pytest
from playwright.sync_api import expect

from .conftest import demo_site, running_app, sign_in

pytestmark = pytest.mark.browser

SEED = ("from shoudai.db import session_scope; from shoudai.outreach import sample; "
        "import shoudai.models\nwith session_scope() as s: sample.add_version(s, 2026, 60)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """As conftest's server, plus a sample list version (60 entries in each of two counties)."""
    data = tmp_path_factory.mktemp("lists-web")
    with running_app(demo_site(data, SEED), data) as base:
        yield base


def test_county_officer_filters_downloads_and_cannot_open_other_county(new_page, tmp_path):
    page = new_page()
    sign_in(page, "county410702")
    page.get_by_test_id("nav-lists").click()
    expect(page.get_by_test_id("total")).to_have_text("共 60 户")
    page.select_option("select[name=tier]", "A")
    page.select_option("select[name=list_kind]", "sme")
    page.fill("input[name=address]", "人民路")
    page.get_by_test_id("filter").click()
    total = int(page.get_by_test_id("total").inner_text().split()[1])
    assert 0 < total < 60
    expect(page.get_by_test_id("entries").locator("tbody tr")).to_have_count(total)
    with page.expect_download() as dl:
        page.get_by_test_id("export").click()
    target = tmp_path / dl.value.suggested_filename
    dl.value.save_as(target)
    assert target.suffix == ".xlsx"
    ws = openpyxl.load_workbook(target).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == total and all("红旗样本" in r[3] for r in rows)
    r = page.goto("/lists/entity?key=S410703000001")
    assert r.status == 404
    expect(page.locator("body")).not_to_contain_text("卫滨样本")


def test_bank_claims_in_bulk_assigns_and_officer_records_contact(new_page):
    hq = new_page()
    sign_in(hq, "bankhq")
    hq.get_by_test_id("nav-lists").click()
    hq.select_option("select[name=tier]", "B")
    hq.select_option("select[name=list_kind]", "sme")
    hq.get_by_test_id("filter").click()
    n = int(hq.get_by_test_id("total").inner_text().split()[1])
    assert n > 0
    hq.once("dialog", lambda d: d.accept())
    hq.get_by_test_id("claim-bulk").click()
    expect(hq.get_by_test_id("claimed")).to_contain_text(f"已认领 {n} 户")
    expect(hq.get_by_test_id("total")).to_have_text("未认领 0 户")
    hq.get_by_test_id("to-claims").click()
    first = hq.get_by_test_id("claims").locator("tbody tr").first
    name = first.locator("a").inner_text()
    first.locator("input[name=claim_id]").check()
    hq.get_by_test_id("officer").select_option(label="李客户经理（officer · ICBC-HQ-01）")
    hq.get_by_test_id("assign").click()
    expect(hq.get_by_test_id("assigned")).to_have_text("已分配 1 户。")

    lo = new_page()
    sign_in(lo, "officer")
    lo.get_by_test_id("nav-lists").click()
    expect(lo.get_by_test_id("total")).to_have_text("共 1 户")
    lo.get_by_test_id("queue").get_by_role("link", name=name).click()
    expect(lo.get_by_test_id("entity-name")).to_have_text(name)
    lo.select_option("select[name=outcome]", "有需求")
    lo.fill("input[name=note]", "需要流动资金约50万元")
    lo.fill("input[name=next_follow_up]", "2099-01-15")
    lo.get_by_test_id("save-contact").click()
    expect(lo.get_by_test_id("saved")).to_be_visible()
    expect(lo.get_by_test_id("contacts")).to_contain_text("需要流动资金约50万元")
    lo.get_by_test_id("nav-lists").click()
    expect(lo.get_by_test_id("queue")).to_contain_text("2099-01-15")
    hq.goto("/lists/claims")
    expect(hq.get_by_test_id("progress").locator("tr").nth(1).locator("td").nth(3)).to_have_text("1")  # 有需求
