"""In chromium: a bank HQ puts a claim in a branch's pool; an officer of that branch, on English pages, takes it into
its queue and can then work it (other branches and banks: tests/api/test_lists_branch.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import sign_in
from .test_lists import server  # noqa: F401  (the lists server: demo accounts plus a sample list version)

pytestmark = pytest.mark.browser


def test_officer_takes_an_entry_from_its_branch_pool(new_page):
    hq = new_page()
    sign_in(hq, "bankhq")
    hq.goto("/lists/pool")
    first = hq.get_by_test_id("pool").locator("tbody tr").first
    name = first.locator("td a").first.inner_text()
    first.get_by_test_id("claim-one").click()
    expect(hq.get_by_test_id("claimed")).to_contain_text("已认领 1 户")
    hq.get_by_test_id("to-claims").click()
    row = hq.get_by_test_id("claims").locator("tbody tr", has_text=name)
    row.locator("input[name=claim_id]").check()
    hq.get_by_test_id("branch").select_option("ICBC-HQ-01")
    hq.get_by_test_id("assign-branch").click()
    expect(hq.get_by_test_id("pooled")).to_have_text("已放入网点 ICBC-HQ-01 待领取 1 户。")
    expect(hq.get_by_test_id("claims").locator("tbody tr", has_text=name)).to_contain_text("网点待领取")

    lo = new_page()
    sign_in(lo, "officer")
    lo.get_by_test_id("lang-switch").click()
    lo.get_by_test_id("nav-lists").click()
    expect(lo.get_by_test_id("to-branch")).to_have_text("1 waiting in your branch pool")
    lo.get_by_test_id("to-branch").click()
    expect(lo.get_by_test_id("branch-pool")).to_contain_text(name)
    lo.get_by_test_id("branch-pool").locator("tbody tr", has_text=name).get_by_test_id("take-one").click()
    expect(lo.get_by_test_id("taken")).to_have_text("Took 1; they are in your queue.")
    expect(lo.get_by_test_id("branch-pool")).not_to_contain_text(name)
    lo.goto("/lists/queue")
    lo.get_by_test_id("queue").get_by_role("link", name=name).click()
    expect(lo.get_by_test_id("entity-name")).to_have_text(name)
    expect(lo.get_by_test_id("contact-form")).to_be_visible()

    hq.goto("/lists/claims")
    expect(hq.get_by_test_id("claims").locator("tbody tr", has_text=name)).to_contain_text("李客户经理")
