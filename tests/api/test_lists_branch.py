"""The branch pool through HTTP: a bank HQ pools claims for a branch; an officer of that branch takes one; officers of
other branches and banks, and other roles, get 404/403 and see nothing."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from shoudai.audit.models import AuditEvent
from shoudai.db import session_scope
from shoudai.outreach.models import Claim, Contact

from .lists_world import add_world
from .test_lists_pages import FREE_KEY, ICBC_KEY, claim_id, post, signed_in, user_id

POOLED = (ICBC_KEY, FREE_KEY)  # 红旗样本便利店1, 红旗样本便利店5


@pytest.fixture
def world(app, clock):
    return add_world(app, clock)


def _pool(world, clock):
    hq = signed_in(world, clock, "bankhq")
    for key in POOLED:
        post(hq, "/lists/claim", {"year": "2026", "entity_key": key})
    ids = [str(claim_id(world, k)) for k in POOLED]
    claims_page = hq.get("/lists/claims").text
    assert 'value="ICBC-HQ-01"' in claims_page and 'value="ICBC-HQ-02"' in claims_page  # the bank's branches
    r = post(hq, "/lists/assign-branch", [*(("claim_id", i) for i in ids), ("branch_code", "ICBC-HQ-01")])
    assert r.status_code == 303 and "pooled=2" in r.headers["location"]
    return hq, ids


def test_officer_takes_from_its_branch_pool_into_its_queue(world, clock):
    hq, ids = _pool(world, clock)
    page = hq.get("/lists/claims").text
    assert "网点待领取" in page and "ICBC-HQ-01" in page
    lo = signed_in(world, clock, "officer")
    assert "本网点待领取 2 户" in lo.get("/lists/queue").text
    # Before taking it, the officer may look at a pooled business's page (timeline, claim) — but not record contacts.
    page = lo.get("/lists/entity", params={"key": ICBC_KEY})
    assert page.status_code == 200 and "红旗样本便利店1" in page.text
    refused = post(lo, "/lists/entity/contact", {"key": ICBC_KEY, "outcome": "暂无需求"})
    assert refused.status_code in (404, 409, 422), refused.status_code
    with session_scope(world.state.engine) as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 0
    pool = lo.get("/lists/branch").text
    assert "红旗样本便利店1" in pool and "红旗样本便利店5" in pool and "共 2 户" in pool
    r = post(lo, "/lists/take", {"claim_id": ids[1]})
    assert r.status_code == 303 and r.headers["location"] == "/lists/branch?taken=1"
    queue = lo.get("/lists/queue").text
    assert "红旗样本便利店5" in queue and "本网点待领取 1 户" in queue
    assert lo.get("/lists/entity", params={"key": FREE_KEY}).status_code == 200
    assert "红旗样本便利店5" not in lo.get("/lists/branch").text
    assert post(lo, "/lists/entity/contact", {"key": FREE_KEY, "outcome": "暂无需求"}).status_code == 303
    assert "已领取 1 户" in lo.get("/lists/branch?taken=1").text
    with session_scope(world.state.engine) as s:
        assert s.get(Claim, int(ids[1])).assigned_to == user_id(world, "officer")
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "outreach.take"))
        assert ev.actor == "officer" and ev.object_id == "ICBC-HQ-01"


def test_branch_pool_bola(world, clock):
    hq, ids = _pool(world, clock)
    # Another branch of the same bank, and another bank's officer: an empty pool, and 404 on taking.
    for name in ("officer2", "ccbofficer"):
        c = signed_in(world, clock, name)
        page = c.get("/lists/branch").text
        assert "红旗样本" not in page and "共 0 户" in page, name
        assert post(c, "/lists/take", {"claim_id": ids[0]}).status_code == 404, name
        assert c.get("/lists/entity", params={"key": ICBC_KEY}).status_code == 404, name  # not its branch's pool
    others = {"bankhq": hq, **{n: signed_in(world, clock, n) for n in ("admin", "county410702", "clerk", "enterprise")}}
    for name, c in others.items():  # roles without a branch pool
        assert post(c, "/lists/take", {"claim_id": ids[0]}).status_code == 403, name
        if name in ("county410702", "clerk", "enterprise"):
            assert c.get("/lists/branch").status_code == 403, name
    # Pooling: another bank's claim or branch is 404; other roles 403.
    ccb = signed_in(world, clock, "ccbhq")
    assert post(ccb, "/lists/assign-branch", [("claim_id", ids[0]), ("branch_code", "CCB-01")]).status_code == 404
    assert post(hq, "/lists/assign-branch", [("claim_id", ids[0]), ("branch_code", "CCB-01")]).status_code == 404
    lo = signed_in(world, clock, "officer")
    assert post(lo, "/lists/assign-branch", [("claim_id", ids[0]), ("branch_code", "ICBC-HQ-01")]).status_code == 403
    with session_scope(world.state.engine) as s:  # nothing moved
        assert [s.get(Claim, int(i)).assigned_to for i in ids] == [None, None]
        assert {s.get(Claim, int(i)).branch_code for i in ids} == {"ICBC-HQ-01"}


def test_officer_downloads_its_branch_pool(world, clock):
    hq, _ = _pool(world, clock)
    lo = signed_in(world, clock, "officer")
    assert 'action="/lists/branch/export"' in lo.get("/lists/branch").text
    r = post(lo, "/lists/branch/export", {})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    names = sorted(row[1] for row in openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(
        min_row=3, values_only=True))
    assert names == ["红旗样本便利店1", "红旗样本便利店5"]
    other = post(signed_in(world, clock, "officer2"), "/lists/branch/export", {})  # another branch: nothing
    assert list(openpyxl.load_workbook(io.BytesIO(other.content)).active.iter_rows(min_row=3)) == []
    assert post(hq, "/lists/branch/export", {}).status_code == 403
    with session_scope(world.state.engine) as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "lists.export_branch_pool"))
        assert ev.actor == "officer" and '"rows":2' in ev.detail
