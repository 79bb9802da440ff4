"""The lists pages through HTTP: county filters and Excel, bank claim/assign, officer contact, and a BOLA matrix."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shoudai.accounts.service import get_by_username
from shoudai.audit.models import AuditEvent
from shoudai.db import session_scope
from shoudai.outreach import sample
from shoudai.outreach.models import Claim, Contact

from .conftest import login, page_token
from .lists_world import add_world

ICBC_KEY, CCB_KEY, FREE_KEY = "S410702000001", "S410703000002", "S410702000005"


@pytest.fixture
def world(app, clock):
    return add_world(app, clock)


def signed_in(app, clock, username) -> TestClient:
    c = TestClient(app)
    r = login(c, username, clock)
    assert r.status_code == 303 and not r.headers["location"].startswith("/login"), username
    return c


def post(c: TestClient, path: str, data: dict | list, **kw):
    token = page_token(c)
    form: dict[str, list[str]] = {"csrf_token": [token]}
    for k, v in data.items() if isinstance(data, dict) else data:
        form.setdefault(k, []).append(v)
    return c.post(path, data=form, follow_redirects=False, **kw)


def user_id(app, name):
    with session_scope(app.state.engine) as s:
        return get_by_username(s, name).id


def claim_id(app, key):
    with session_scope(app.state.engine) as s:
        return s.scalar(select(Claim.id).where(Claim.entity_key == key, Claim.status == "active"))


def test_county_officer_filters_paginates_and_downloads_only_its_county(world, clock):
    c = signed_in(world, clock, "county410702")
    r = c.get("/lists", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/lists/entries"
    r = c.get("/lists/entries")
    assert "共 60 户" in r.text and "红旗样本" in r.text and "卫滨样本" not in r.text
    assert "page=2" in r.text  # 60 rows, 50 per page
    r = c.get("/lists/entries", params={"tier": "A", "list_kind": "sme", "county": "410703"})
    assert "共 0 户" in r.text  # another county in the URL narrows to nothing, never widens
    r = c.get("/lists/entries", params={"tier": "A", "list_kind": "sme", "address": "人民路"})
    n = int(re.search(r"共 (\d+) 户", r.text).group(1))
    assert 0 < n < 60
    r = post(c, "/lists/export", {"year": "2026", "tier": "A", "list_kind": "sme", "address": "人民路"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == n and all(row[4] == "红旗区" or row[4] == "410702" for row in rows)
    assert all(row[6] == "张*" for row in rows) and f"共{n}户" in ws.cell(1, 1).value
    with session_scope(world.state.engine) as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "lists.export"))
        assert ev.actor == "county410702" and f'"rows":{n}' in ev.detail


def test_city_admin_overview_years_side_by_side_and_entity_timeline(world, clock):
    c = signed_in(world, clock, "admin")
    assert 'data-testid="stale-version"' not in c.get("/lists").text
    with session_scope(world.state.engine) as s:
        sample.add_version(s, 2025, 10)
    r = c.get("/lists")
    assert r.status_code == 200 and r.text.index("2026年") < r.text.index("2025年")
    # 2025 was built after 2026, so 2026's new/carried/removed were not measured against it.
    stale = re.findall(r'data-testid="stale-version">([^<]*)<', r.text)
    assert stale == [("2026 年名单的新增、存量和移出不是对照现有的 2025 年名单算出的（2025 年名单在其后生成或重新生成），"
                      "请重新生成 2026 年名单。")]
    cells = re.findall(r"<th>(\d+)</th>", r.text.split("合计</th>")[-1])
    assert cells[0] == "120" and cells[8] == "20"  # city totals: 2026 then 2025
    assert "卫滨样本" in c.get("/lists/entries", params={"county": "410703"}).text
    page = c.get("/lists/entity", params={"key": "S410702000003"}).text
    assert "<td>2026</td>" in page and "<td>2025</td>" in page
    assert "<td>2025</td>" not in c.get("/lists/entity", params={"key": "S410702000033"}).text


def test_bank_claims_in_bulk_assigns_and_officer_records_contact(world, clock):
    hq = signed_in(world, clock, "bankhq")
    r = hq.get("/lists/pool", params={"county": "410702", "tier": "B"})
    assert "未认领 20 户" in r.text
    r = post(hq, "/lists/claim-bulk", {"year": "2026", "county": "410702", "tier": "B"})
    assert r.status_code == 303 and "claimed=20" in r.headers["location"]
    assert "未认领 0 户" in hq.get("/lists/pool", params={"county": "410702", "tier": "B"}).text
    r = post(hq, "/lists/claim", {"year": "2026", "entity_key": FREE_KEY})
    assert "claimed=1" in r.headers["location"]
    assert "共 21 户" in hq.get("/lists/claims").text
    cid = claim_id(world, FREE_KEY)
    r = post(hq, "/lists/assign", [("claim_id", str(cid)), ("officer_id", str(user_id(world, "officer")))])
    assert r.status_code == 303 and "done=1" in r.headers["location"]
    lo = signed_in(world, clock, "officer")
    q = lo.get("/lists/queue")
    assert "共 1 户" in q.text and "红旗样本便利店5" in q.text
    r = post(lo, "/lists/entity/contact", {"key": FREE_KEY, "outcome": "有需求", "note": "需流动资金", "next_follow_up": ""})
    assert r.status_code == 303
    page = lo.get("/lists/entity", params={"key": FREE_KEY}).text
    assert "需流动资金" in page and "有需求" in page and "认领中" in page
    r = post(lo, "/lists/entity/contact", {"key": FREE_KEY, "outcome": "乱填"})
    assert r.status_code == 422 and "请选择联系结果" in r.text
    assert "有需求" in hq.get("/lists/claims").text
    r = post(hq, "/lists/release", {"claim_id": str(cid)})
    assert r.status_code == 303 and claim_id(world, FREE_KEY) is None
    admin = signed_in(world, clock, "admin")  # back in the pool: no live claim shown, claimable again
    assert "认领中" not in admin.get("/lists/entity", params={"key": FREE_KEY}).text
    assert "claimed=1" in post(hq, "/lists/claim", {"year": "2026", "entity_key": FREE_KEY}).headers["location"]


@pytest.fixture
def claimed(world, clock):
    """ICBC holds ICBC_KEY (assigned to `officer`, one contact); CCB holds CCB_KEY (assigned, one contact)."""
    hq, ccb = signed_in(world, clock, "bankhq"), signed_in(world, clock, "ccbhq")
    post(hq, "/lists/claim", {"year": "2026", "entity_key": ICBC_KEY})
    post(ccb, "/lists/claim", {"year": "2026", "entity_key": CCB_KEY})
    post(hq, "/lists/assign", [("claim_id", str(claim_id(world, ICBC_KEY))), ("officer_id", str(user_id(world, "officer")))])
    post(ccb, "/lists/assign", [("claim_id", str(claim_id(world, CCB_KEY))),
                               ("officer_id", str(user_id(world, "ccbofficer")))])
    clients = {"bankhq": hq, "ccbhq": ccb}
    for name in ("admin", "county410702", "county410703", "officer", "officer2", "ccbofficer", "clerk", "enterprise"):
        clients[name] = signed_in(world, clock, name)
    assert post(clients["officer"], "/lists/entity/contact", {"key": ICBC_KEY, "outcome": "暂无需求",
                                                                          "note": "ICBC秘密备注"}).status_code == 303
    assert post(clients["ccbofficer"], "/lists/entity/contact", {"key": CCB_KEY, "outcome": "有需求",
                                                                            "note": "CCB秘密备注"}).status_code == 303
    return clients


# Who may open each entity page; everyone else gets 404 (staff out of scope) or 403 (role without list access).
ENTITY_OK = {ICBC_KEY: {"admin", "county410702", "bankhq", "officer"},
             CCB_KEY: {"admin", "county410703", "bankhq", "ccbhq", "ccbofficer"}}
NO_ROLE = {"clerk", "enterprise"}
SECRET_OF = {ICBC_KEY: ("ICBC秘密备注", "bankhq"), CCB_KEY: ("CCB秘密备注", "ccbhq")}


def test_bola_matrix(world, claimed):
    c = claimed
    # Entity pages: allowed, 404 out of scope, 403 for roles without lists; never another bank's notes.
    for key, ok in ENTITY_OK.items():
        for name, client in c.items():
            r = client.get("/lists/entity", params={"key": key})
            want = 200 if name in ok else 403 if name in NO_ROLE else 404
            assert r.status_code == want, (key, name, r.status_code)
            secret, owner = SECRET_OF[key]
            bank_user = name in ("bankhq", "officer", "officer2", "ccbhq", "ccbofficer")
            if r.status_code == 200 and bank_user and owner != ("bankhq" if name in ("bankhq", "officer", "officer2")
                                                                  else "ccbhq"):
                assert secret not in r.text and "ccbhq" not in r.text, (key, name)
            if r.status_code != 200:
                assert secret not in r.text and "样本" not in r.text
    # Claim: only bank HQs, only within their service area and the pool.
    for name, client in c.items():
        r = post(client, "/lists/claim", {"year": "2026", "entity_key": FREE_KEY})
        want = {"bankhq": 303, "ccbhq": 404}.get(name, 403)
        assert r.status_code == want, (name, r.status_code)
    # Assign: another bank's claim or officer is 404; non-HQ roles 403.
    icbc_claim, ccb_claim = claim_id(world, ICBC_KEY), claim_id(world, CCB_KEY)
    for name, client in c.items():
        r = post(client, "/lists/assign", [("claim_id", str(icbc_claim)),
                                           ("officer_id", str(user_id(world, "ccbofficer")))])
        assert r.status_code == (404 if name in ("bankhq", "ccbhq") else 403), (name, r.status_code)
    r = post(c["ccbhq"], "/lists/assign", [("claim_id", str(icbc_claim)), ("officer_id", str(user_id(world, "ccbofficer")))])
    assert r.status_code == 404
    r = post(c["bankhq"], "/lists/assign", [("claim_id", str(ccb_claim)), ("officer_id", str(user_id(world, "officer")))])
    assert r.status_code == 404
    # Release: only the holding bank's HQ.
    for name, client in c.items():
        if name != "ccbhq":
            r = post(client, "/lists/release", {"claim_id": str(ccb_claim)})
            assert r.status_code == (404 if name == "bankhq" else 403), (name, r.status_code)
    assert claim_id(world, CCB_KEY) == ccb_claim
    # Contact: only the assignee (or its HQ) on its bank's live claim.
    for key, ok in {ICBC_KEY: {"officer", "bankhq"}, CCB_KEY: {"ccbofficer", "ccbhq"}}.items():
        for name, client in c.items():
            r = post(client, "/lists/entity/contact", {"key": key, "outcome": "无法联系"})
            want = 303 if name in ok else 404 if name in ("bankhq", "ccbhq", "officer", "officer2", "ccbofficer") \
                else 403
            assert r.status_code == want, (key, name, r.status_code)
    with session_scope(world.state.engine) as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 6
    # Export and list pages: list roles only, rows of their own counties only.
    for name, client in c.items():
        r = post(client, "/lists/export", {"year": "2026", "county": "410702"})
        if name in ("admin", "county410702", "county410703"):
            ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
            names = [row[3] for row in ws.iter_rows(min_row=3, values_only=True)]
            assert len(names) == (0 if name == "county410703" else 60), name
        else:
            assert r.status_code == 403, name
        r = client.get("/lists/entries", params={"county": "410702"})
        if name == "county410703":
            assert "红旗样本" not in r.text
        elif name != "admin" and name != "county410702":
            assert r.status_code == 403 and "样本" not in r.text
    # Claim/queue export: bank roles only, their own bank's (an officer: its own) claims only.
    for name, client in c.items():
        r = post(client, "/lists/claims/export", {})
        if name in ("bankhq", "ccbhq", "officer", "officer2", "ccbofficer"):
            ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
            names = [row[1] for row in ws.iter_rows(min_row=3, values_only=True)]
            mine = {"bankhq": ICBC_KEY, "officer": ICBC_KEY, "ccbhq": CCB_KEY, "ccbofficer": CCB_KEY}.get(name)
            assert len(names) == {"bankhq": 2, "officer": 1, "ccbhq": 1, "ccbofficer": 1}.get(name, 0), name  # + FREE_KEY
            assert all(("红旗" if mine == ICBC_KEY else "卫滨") in n for n in names), name
        else:
            assert r.status_code == 403, name
    ws = openpyxl.load_workbook(io.BytesIO(post(c["officer"], "/lists/claims/export", {}).content)).active
    assert next(ws.iter_rows(min_row=3, values_only=True))[7] == "无法联系"  # the latest of its two contacts
    # Bank pages: the other bank's claims never appear in a bank's claim list or an officer's queue.
    assert "卫滨样本" not in c["bankhq"].get("/lists/claims").text
    assert "红旗样本" not in c["ccbhq"].get("/lists/claims").text
    assert "样本" not in c["officer2"].get("/lists/queue").text
    assert c["ccbhq"].get("/lists/pool", params={"county": "410702"}).text.count("红旗样本") == 0
    for name in ("county410702", "officer", "clerk", "enterprise"):
        assert c[name].get("/lists/claims").status_code == 403
        assert c[name].get("/lists/pool").status_code == 403
    for path in ("/lists/claims", "/lists/pool", "/lists/queue"):  # the city admin is sent to the overview
        assert c["admin"].get(path, follow_redirects=False).headers["location"] == "/lists"


def test_bank_exports_its_unclaimed_pool_under_the_pages_filter(world, clock):
    hq = signed_in(world, clock, "bankhq")
    post(hq, "/lists/claim-bulk", {"year": "2026", "county": "410702", "tier": "B"})
    page = hq.get("/lists/pool", params={"county": "410702"}).text
    n = int(re.search(r"未认领 (\d+) 户", page).group(1))
    assert 0 < n < 60 and 'action="/lists/pool/export"' in page
    r = post(hq, "/lists/pool/export", {"year": "2026", "county": "410702"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=3, values_only=True))
    # What the page counts, claimed entries left out, legal representatives masked.
    assert len(rows) == n and all(row[6] == "张*" for row in rows)
    claimed = post(hq, "/lists/pool/export", {"year": "2026", "county": "410702", "tier": "B"})
    assert list(openpyxl.load_workbook(io.BytesIO(claimed.content)).active.iter_rows(min_row=3)) == []
    with session_scope(world.state.engine) as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "lists.export_pool"))
        assert ev.actor == "bankhq" and f'"rows":{n}' in ev.detail
    for name in ("admin", "county410702", "officer", "clerk", "enterprise"):
        assert post(signed_in(world, clock, name), "/lists/pool/export", {"year": "2026"}).status_code == 403, name
