"""English a switch away (X5): the lists pages' chrome has no Chinese left once a user switches; data stays as recorded.

Data is what a page marks translate="no" (names, places, people, notes); everything else is chrome and must come from
the message catalogue. The same check run on the Chinese pages finds Chinese, so it is able to fail.
"""

from __future__ import annotations

import io
import re
import shutil
from html.parser import HTMLParser

import openpyxl
import pytest
from sqlalchemy import select

from shoudai.config import get_settings
from shoudai.db import session_scope
from shoudai.outreach import sample
from shoudai.reference import loaders
from shoudai.registry.models import ListRemoval, ListVersion

from .lists_world import add_world
from .test_lists_pages import FREE_KEY, ICBC_KEY, claim_id, post, signed_in, user_id

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
TEXT_ATTRS = ("placeholder", "aria-label", "title", "alt", "data-confirm")


@pytest.fixture
def world(app, clock):
    return add_world(app, clock)


class _Chrome(HTMLParser):
    """Collects the visible text and labelling attributes of <body>, except inside translate="no" and scripts."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.in_body = False
        self.found: list[str] = []

    def _data_zone(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.in_body = self.in_body or tag == "body"
        skip = self._data_zone() or a.get("translate") == "no" or tag in ("script", "style")
        if self.in_body and not skip:
            self.found += [f"{tag}@{k}: {a[k]}" for k in TEXT_ATTRS if a.get(k) and CJK.search(a[k])]
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.in_body and not self._data_zone() and CJK.search(data):
            self.found.append(data.strip())


def chrome_cjk(html: str) -> list[str]:
    """Chinese found in a page's chrome (empty: fully translated)."""
    p = _Chrome()
    p.feed(html)
    return p.found


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.DOTALL).group(1)


def brand_of(html: str) -> str:
    """The platform's full name in the page header."""
    return re.search(r'<span class="full">(.*?)</span>', html, re.DOTALL).group(1)


def english(client):
    """Switch through the page's own language button, as a user does."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
    r = client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    return client


@pytest.fixture
def city_en(monkeypatch):
    monkeypatch.setenv("SHOUDAI_CITY_NAME_EN", "Xinxiang")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("SHOUDAI_CITY_NAME_EN")
    get_settings.cache_clear()


@pytest.fixture
def worked(world, clock):
    """ICBC holds two businesses: one assigned to `officer` with a contact, one in branch ICBC-HQ-01's pool."""
    hq = signed_in(world, clock, "bankhq")
    for key in (ICBC_KEY, FREE_KEY):
        assert post(hq, "/lists/claim", {"year": "2026", "entity_key": key}).status_code == 303
    post(hq, "/lists/assign", [("claim_id", str(claim_id(world, ICBC_KEY))),
                               ("officer_id", str(user_id(world, "officer")))])
    post(hq, "/lists/assign-branch", [("claim_id", str(claim_id(world, FREE_KEY))), ("branch_code", "ICBC-HQ-01")])
    lo = signed_in(world, clock, "officer")
    assert post(lo, "/lists/entity/contact", {"key": ICBC_KEY, "outcome": "有需求", "note": "需流动资金",
                                               "next_follow_up": ""}).status_code == 303
    return {"bankhq": hq, "officer": lo, "admin": signed_in(world, clock, "admin"),
            "county410702": signed_in(world, clock, "county410702")}


PAGES = (
    ("admin", "/lists"),
    ("county410702", "/lists/entries?tier=A"),
    ("bankhq", "/lists/pool"),
    ("bankhq", "/lists/claims"),
    ("bankhq", f"/lists/entity?key={ICBC_KEY}"),
    ("officer", "/lists/queue"),
    ("officer", "/lists/branch"),
    ("officer", f"/lists/entity?key={ICBC_KEY}"),
)


def test_lists_pages_have_no_chinese_chrome_in_english(worked, city_en):
    for who, path in PAGES:
        zh = worked[who].get(path)
        assert zh.status_code == 200 and chrome_cjk(zh.text), (who, path)  # the check sees Chinese chrome
    for c in worked.values():
        english(c)
    for who, path in PAGES:
        r = worked[who].get(path)
        assert r.status_code == 200, (who, path)
        assert chrome_cjk(r.text) == [], (who, path)
        if "entity" not in path:  # an entity page's title is the business's name
            assert not CJK.search(title_of(r.text)), (path, title_of(r.text))
    # Labels of codes are translated, data is not.
    entity = worked["officer"].get("/lists/entity", params={"key": ICBC_KEY}).text
    assert "Needs a loan" in entity and "需流动资金" in entity and "Individual business" in entity
    assert brand_of(entity) == "Xinxiang First-Loan Platform"
    assert "Tier A" in worked["county410702"].get("/lists/entries").text


def test_a_contact_error_is_shown_in_english(worked):
    lo = english(worked["officer"])
    r = post(lo, "/lists/entity/contact", {"key": ICBC_KEY, "outcome": "x"})
    assert r.status_code == 422 and "Choose the outcome of the contact" in r.text and "请选择" not in r.text


def test_excel_headers_follow_the_users_language(worked):
    county = worked["county410702"]
    zh = openpyxl.load_workbook(io.BytesIO(post(county, "/lists/export", {"year": "2026"}).content)).active
    assert [c.value for c in zh[2]][:3] == ["序号", "统一社会信用代码", "注册号"]
    english(county)
    ws = openpyxl.load_workbook(io.BytesIO(post(county, "/lists/export", {"year": "2026"}).content)).active
    heads = [c.value for c in ws[2]]
    assert heads[:4] == ["No.", "Unified social credit code", "Registration no.", "Name"]
    assert not any(CJK.search(h) for h in heads) and ws.title == "List"
    assert ws.cell(1, 1).value == "红旗区 no-loan lists 2026 (60 businesses)"  # the county's name is data
    kinds = {row[5] for row in ws.iter_rows(min_row=3, values_only=True)}
    assert kinds == {"Small/micro enterprise", "Individual business"}
    lo = english(worked["officer"])
    claims = openpyxl.load_workbook(io.BytesIO(post(lo, "/lists/claims/export", {}).content)).active
    assert claims.cell(1, 1).value.startswith("My outreach queue")
    row = next(claims.iter_rows(min_row=3, values_only=True))
    assert row[7] == "Needs a loan" and row[9] == "ICBC-HQ-01"


def test_the_title_names_the_city_of_the_reference_data(worked, tmp_path, monkeypatch):
    ref = tmp_path / "ref"
    shutil.copytree(loaders.PACKAGE_DATA, ref)
    (ref / "city.csv").write_text("code,name,province\n4108,焦作市,河南省\n", encoding="utf-8")
    monkeypatch.setenv("SHOUDAI_REFERENCE_DIR", str(ref))
    get_settings.cache_clear()
    loaders.clear_caches()
    try:
        page = worked["admin"].get("/lists").text
        assert brand_of(page) == "焦作市首贷通服务平台" and '<footer class="foot">焦作市首贷通服务平台' in page
    finally:
        monkeypatch.delenv("SHOUDAI_REFERENCE_DIR")
        get_settings.cache_clear()
        loaders.clear_caches()
    assert brand_of(worked["admin"].get("/lists").text) == "新乡市首贷通服务平台"


def test_removal_reasons_are_labels_in_the_users_language(worked, city_en):
    with session_scope(worked["admin"].app.state.engine) as s:
        v2026 = s.scalar(select(ListVersion).where(ListVersion.year == 2026))
        v2027 = sample.add_version(s, 2027, 1, previous=v2026)
        s.add(ListRemoval(version_id=v2027.id, entity_key=ICBC_KEY, list_kind="individual", reg_no="410702000000001",
                          name="红旗样本便利店1", county_code="410702", reason_code="deregistered", reason="已注销/吊销/迁出"))
    admin = worked["admin"]
    page = admin.get("/lists/entity", params={"key": ICBC_KEY}).text
    assert "2027年移出：已注销/吊销/迁出" in page
    english(admin)
    page = admin.get("/lists/entity", params={"key": ICBC_KEY}).text
    assert "Removed in 2027: Deregistered, revoked or moved away" in page and chrome_cjk(page) == []
