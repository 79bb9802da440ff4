"""Issue 3's lists and claims through the bank API: pool, claim one/bulk, release, assign, contact; scope (404)."""

from __future__ import annotations

from sqlalchemy import select

from shoudai.db import session_scope
from shoudai.outreach.models import Claim, Contact

from .test_bank_api_support import add_list, bank_client, user_id

A = "S410702000000"


def keys_of(page) -> list[str]:
    return [e["entity_key"] for e in page["items"]]


def test_the_pool_is_the_banks_service_area_minus_what_any_bank_holds(app, client, clock):
    add_list(app)
    icbc = bank_client(app, client, clock, "ICBC", counties="410702")
    ccb = bank_client(app, client, clock, "CCB")
    page = icbc.get("/api/v1/lists/pool", params={"per_page": 200}).json()
    assert page["year"] == 2026 and page["total"] == 20
    assert all(k.startswith("S410702") for k in keys_of(page))
    assert ccb.get("/api/v1/lists/pool").json()["total"] == 40  # no service area: the whole city
    r = icbc.post("/api/v1/claims", json={"entity_key": A})
    assert r.status_code == 201, r.text
    assert r.json()["claimed_by"] == f"api:ICBC:{icbc.key_id}" and r.json()["status"] == "active"
    assert A not in keys_of(ccb.get("/api/v1/lists/pool", params={"per_page": 200}).json())
    taken = ccb.post("/api/v1/claims", json={"entity_key": A})
    assert (taken.status_code, taken.json()["code"]) == (409, "taken")
    # Outside the key's service area the business is simply not there for this bank.
    assert icbc.post("/api/v1/claims", json={"entity_key": "S410703000001"}).status_code == 404
    assert icbc.get("/api/v1/lists/pool", params={"tier": "Z"}).status_code == 422


def test_bulk_claim_by_filter_then_the_banks_claims(app, client, clock):
    add_list(app)
    icbc = bank_client(app, client, clock, "ICBC")
    ccb = bank_client(app, client, clock, "CCB")
    r = icbc.post("/api/v1/claims/bulk", json={"county": "410702", "tier": "A"})
    assert r.status_code == 200 and r.json() == {"count": 7}  # i = 0, 3, …, 18
    assert icbc.post("/api/v1/claims/bulk", json={"county": "410702", "tier": "A"}).json() == {"count": 0}
    mine = icbc.get("/api/v1/claims", params={"per_page": 200}).json()
    assert mine["total"] == 7 and all(c["tier"] == "A" and c["name"] for c in mine["items"])
    assert ccb.get("/api/v1/claims").json()["total"] == 0


def test_release_assign_and_contact_stay_within_the_bank(app, client, clock):
    add_list(app)
    icbc = bank_client(app, client, clock, "ICBC")
    ccb = bank_client(app, client, clock, "CCB")
    claim = icbc.post("/api/v1/claims", json={"entity_key": A}).json()
    officer = user_id(app, "officer")  # the demo loan officer of ICBC
    assert [o["id"] for o in icbc.get("/api/v1/officers").json()] == [officer]
    assert ccb.get("/api/v1/officers").json() == []

    assert ccb.post(f"/api/v1/claims/{claim['id']}/release").status_code == 404
    assert ccb.post("/api/v1/claims/assign", json={"claim_ids": [claim["id"]], "officer_id": officer}).status_code == 404
    assert ccb.post(f"/api/v1/entities/{A}/contacts", json={"outcome": "有需求"}).status_code == 404

    r = icbc.post("/api/v1/claims/assign", json={"claim_ids": [claim["id"]], "officer_id": officer})
    assert r.json() == {"count": 1}
    r = icbc.post(f"/api/v1/entities/{A}/contacts", json={"outcome": "有需求", "note": "需要50万流动资金",
                                                           "next_follow_up": "2099-01-05"})
    assert r.status_code == 201, r.text
    assert r.json()["officer"] == f"api:ICBC:{icbc.key_id}" and r.json()["claim_id"] == claim["id"]
    assert icbc.post(f"/api/v1/entities/{A}/contacts", json={"outcome": "随便"}).status_code == 422

    released = icbc.post(f"/api/v1/claims/{claim['id']}/release")
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert A in keys_of(ccb.get("/api/v1/lists/pool", params={"per_page": 200}).json())
    with session_scope(app.state.engine) as s:
        assert s.scalar(select(Claim.status).where(Claim.id == claim["id"])) == "released"
        assert s.scalars(select(Contact.bank_code)).all() == ["ICBC"]


def test_a_claim_replayed_with_its_key_is_not_claimed_twice(app, client, clock):
    add_list(app)
    icbc = bank_client(app, client, clock, "ICBC")
    first = icbc.post("/api/v1/claims", json={"entity_key": A}, idempotency_key="claim-A-0001")
    again = icbc.post("/api/v1/claims", json={"entity_key": A}, idempotency_key="claim-A-0001")
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    other = icbc.post("/api/v1/claims", json={"entity_key": "S410702000001"}, idempotency_key="claim-A-0001")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    with session_scope(app.state.engine) as s:
        assert len(s.scalars(select(Claim)).all()) == 1
