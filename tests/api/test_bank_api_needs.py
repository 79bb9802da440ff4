"""The 211 workflow through the bank API: pull, read (masked), every step, idempotency, and scope (404)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from shoudai.audit.models import AuditEvent
from shoudai.db import session_scope
from shoudai.lending.models import NeedBank, NeedEvent

from .test_bank_api_support import bank_client, push_need


def test_the_whole_211_path_through_the_api(app, client, clock):
    tracks = push_need(app, clock)
    icbc = bank_client(app, client, clock, "ICBC")
    tid = tracks["ICBC"]
    assert icbc.get("/api/v1/needs").json()["items"] == []  # the feed holds back the last few seconds
    clock.advance(seconds=6)

    page = icbc.get("/api/v1/needs").json()
    assert [t["id"] for t in page["items"]] == [tid]  # only its own track, not CCB's
    assert page["items"][0]["stage"] == "pushed" and page["items"][0]["due_at"] is not None

    one = icbc.get(f"/api/v1/needs/{tid}").json()
    assert one["contact_name"] == "王*" and one["contact_phone"] == "138****8000"  # masked as for a bank HQ
    assert "contact_name" not in page["items"][0]  # the list carries no personal data at all

    r = icbc.post(f"/api/v1/needs/{tid}/answer", json={"conditions": ["提供近6个月银行流水", "提供纳税证明"]})
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "intent" and r.json()["conditions"] == ["提供近6个月银行流水", "提供纳税证明"]
    clock.advance(hours=1)
    assert icbc.post(f"/api/v1/needs/{tid}/conditions-met", json={}).json()["stage"] == "conditions_met"
    assert icbc.post(f"/api/v1/needs/{tid}/accept").json()["stage"] == "accepted"  # an empty body is fine
    assert icbc.post(f"/api/v1/needs/{tid}/decide", json={"approved": True}).json()["stage"] == "approved"
    r = icbc.post(f"/api/v1/needs/{tid}/disburse",
                  json={"amount_wan": "45.5", "disbursed_on": "2026-03-12", "contract_no": "HX-2026-0001"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["stage"] == "disbursed" and done["disbursed_amount_wan"] == "45.50"
    assert done["contract_no"] == "HX-2026-0001"
    assert [e["kind"] for e in done["events"]] == ["pushed", "answered", "conditions_met", "accepted", "approved",
                                                   "disbursed"]
    with session_scope(app.state.engine) as s:
        actors = set(s.scalars(select(NeedEvent.actor).where(NeedEvent.need_bank_id == tid,
                                                             NeedEvent.kind != "pushed")))
        assert actors == {f"api:ICBC:{icbc.key_id}"}
        audited = s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "lending.disbursed")).all()
        assert audited == [f"api:ICBC:{icbc.key_id}"]


def test_a_step_the_stage_does_not_allow_is_409_with_a_chinese_message(app, client, clock):
    tid = push_need(app, clock)["ICBC"]
    icbc = bank_client(app, client, clock, "ICBC")
    r = icbc.post(f"/api/v1/needs/{tid}/accept", json={})
    assert r.status_code == 409
    assert r.json()["code"] == "bad_transition" and "当前阶段不允许此操作" in r.json()["message"]


def test_decline_needs_a_known_reason_code(app, client, clock):
    tid = push_need(app, clock)["ICBC"]
    icbc = bank_client(app, client, clock, "ICBC")
    r = icbc.post(f"/api/v1/needs/{tid}/decline", json={"note": "无理由"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert icbc.post(f"/api/v1/needs/{tid}/decline", json={"reason": "because"}).status_code == 422
    r = icbc.post(f"/api/v1/needs/{tid}/decline", json={"reason": "no_cash_flow", "note": "流水不足"})
    assert r.json()["stage"] == "declined" and r.json()["decline_reason"] == "no_cash_flow"
    r = icbc.post(f"/api/v1/needs/{tid}/decide", json={"approved": False, "reason": "other"})
    assert (r.status_code, r.json()["code"]) == (409, "bad_transition")  # already closed


def test_another_banks_need_is_404_to_read_and_to_act(app, client, clock):
    tracks = push_need(app, clock, banks=("ICBC",))
    ccb = bank_client(app, client, clock, "CCB")
    tid = tracks["ICBC"]
    missing = ccb.get("/api/v1/needs/987654")
    assert missing.status_code == 404
    r = ccb.get(f"/api/v1/needs/{tid}")
    assert r.status_code == 404 and r.json() == missing.json()  # indistinguishable from a missing one
    assert ccb.post(f"/api/v1/needs/{tid}/answer", json={"conditions": []}).status_code == 404
    assert ccb.post(f"/api/v1/needs/{tid}/decline", json={"reason": "other"}).status_code == 404
    clock.advance(seconds=6)
    assert ccb.get("/api/v1/needs").json()["items"] == []
    with session_scope(app.state.engine) as s:
        assert s.get(NeedBank, tid).stage == "pushed"


def test_idempotent_replay_returns_the_first_answer_and_another_body_is_409(app, client, clock):
    tid = push_need(app, clock)["ICBC"]
    icbc = bank_client(app, client, clock, "ICBC")
    first = icbc.post(f"/api/v1/needs/{tid}/answer", json={"conditions": ["提供纳税证明"]}, idempotency_key="ans-0001")
    again = icbc.post(f"/api/v1/needs/{tid}/answer", json={"conditions": ["提供纳税证明"]}, idempotency_key="ans-0001")
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    with session_scope(app.state.engine) as s:  # the step happened once
        answered = s.scalars(select(NeedEvent).where(NeedEvent.need_bank_id == tid, NeedEvent.kind == "answered"))
        assert len(answered.all()) == 1
    other = icbc.post(f"/api/v1/needs/{tid}/answer", json={"conditions": []}, idempotency_key="ans-0001")
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")
    # Keys are per bank: another bank may use the same value for its own request.
    ccb = bank_client(app, client, clock, "CCB")
    tid_ccb = push_need(app, clock, n=2, banks=("CCB",))["CCB"]
    assert ccb.post(f"/api/v1/needs/{tid_ccb}/answer", json={"conditions": []},
                    idempotency_key="ans-0001").status_code == 200


def test_a_failed_write_keeps_no_answer_so_the_key_can_be_retried(app, client, clock):
    tid = push_need(app, clock)["ICBC"]
    icbc = bank_client(app, client, clock, "ICBC")
    assert icbc.post(f"/api/v1/needs/{tid}/accept", json={}, idempotency_key="step-0001").status_code == 409
    icbc.post(f"/api/v1/needs/{tid}/answer", json={"conditions": []})
    icbc.post(f"/api/v1/needs/{tid}/conditions-met", json={})
    assert icbc.post(f"/api/v1/needs/{tid}/accept", json={}, idempotency_key="step-0001").status_code == 200


def test_a_write_without_an_idempotency_key_is_400(app, client, clock):
    tid = push_need(app, clock)["ICBC"]
    icbc = bank_client(app, client, clock, "ICBC")
    r = icbc.post(f"/api/v1/needs/{tid}/answer", json={"conditions": []}, headers={"Idempotency-Key": ""})
    assert (r.status_code, r.json()["code"]) == (400, "idempotency_key_missing")
    r = icbc.post(f"/api/v1/needs/{tid}/answer", json={"conditions": []}, headers={"Idempotency-Key": "short"})
    assert (r.status_code, r.json()["code"]) == (400, "idempotency_key_invalid")
    with session_scope(app.state.engine) as s:
        assert s.get(NeedBank, tid).stage == "pushed"


def test_the_pull_feed_pages_by_cursor_and_filters(app, client, clock):
    ids = [push_need(app, clock, n=i, banks=("ICBC",))["ICBC"] for i in range(1, 6)]
    icbc = bank_client(app, client, clock, "ICBC")
    clock.advance(seconds=6)
    seen, cursor = [], None
    while True:
        page = icbc.get("/api/v1/needs", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == ids
    assert icbc.get("/api/v1/needs", params={"cursor": cursor}).json()["items"] == []  # nothing new yet
    clock.advance(minutes=1)
    mark = clock()
    icbc.post(f"/api/v1/needs/{ids[2]}/answer", json={"conditions": []})
    assert icbc.get("/api/v1/needs", params={"cursor": cursor}).json()["items"] == []  # not settled yet
    clock.advance(seconds=6)
    # Polling with the kept cursor delivers exactly what changed since; so does updated_since and a stage filter.
    assert [t["id"] for t in icbc.get("/api/v1/needs", params={"cursor": cursor}).json()["items"]] == [ids[2]]
    changed = icbc.get("/api/v1/needs", params={"updated_since": mark.isoformat()}).json()["items"]
    assert [t["id"] for t in changed] == [ids[2]]
    assert [t["id"] for t in icbc.get("/api/v1/needs", params={"stage": "intent"}).json()["items"]] == [ids[2]]
    r = icbc.get("/api/v1/needs", params={"cursor": "not-a-cursor"})
    assert (r.status_code, r.json()["code"]) == (400, "bad_cursor")


def test_after_consent_is_withdrawn_the_contact_is_not_shown(app, client, clock):
    from shoudai.lending import actions
    from shoudai.lending.models import Need

    tid = push_need(app, clock)["ICBC"]
    with session_scope(app.state.engine) as s:
        need = s.get(Need, s.get(NeedBank, tid).need_id)
        actions.withdraw_consent(s, need, actor="biz", now=clock() + timedelta(minutes=1))
    one = bank_client(app, client, clock, "ICBC").get(f"/api/v1/needs/{tid}").json()
    assert one["consent_withdrawn"] is True and one["contact_name"] is None and one["contact_phone"] is None
    assert one["stage"] == "withdrawn"


def test_the_bank_answers_a_business_claim_that_conditions_are_met(app, client, clock):
    from shoudai.lending import actions
    from shoudai.lending.models import Need

    tid = push_need(app, clock)["ICBC"]
    icbc = bank_client(app, client, clock, "ICBC")
    icbc.post(f"/api/v1/needs/{tid}/answer", json={"conditions": ["提供纳税证明"]})

    def business_claims():
        with session_scope(app.state.engine) as s:
            need = s.get(Need, s.get(NeedBank, tid).need_id)
            actions.claim_conditions_met(s, need, tid, actor="biz", now=clock())

    business_claims()
    r = icbc.post(f"/api/v1/needs/{tid}/reject-claim", json={"note": "纳税证明未提供"})
    assert r.status_code == 200 and r.json()["stage"] == "intent"
    business_claims()
    assert icbc.post(f"/api/v1/needs/{tid}/conditions-met", json={}).json()["stage"] == "conditions_met"
    kinds = [e["kind"] for e in icbc.get(f"/api/v1/needs/{tid}").json()["events"]]
    assert kinds == ["pushed", "answered", "conditions_claimed", "claim_rejected", "conditions_claimed",
                     "conditions_met"]


def test_an_unencodable_string_is_a_422_that_does_not_echo_it(app, client, clock):
    from shoudai.bankapi import signing

    tid = push_need(app, clock)["ICBC"]
    icbc = bank_client(app, client, clock, "ICBC")
    path, body = f"/api/v1/needs/{tid}/decline", b'{"reason": "other", "note": "\\ud800 lone surrogate"}'
    h = signing.signed_headers(icbc.key_id, icbc.secret, "POST", path, body, now=clock())
    r = client.post(path, content=body, headers={**h, "Idempotency-Key": "surrogate-1", "Content-Type":
                                                 "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert r.json()["errors"][0]["loc"] == ["body", "note"] and "input" not in r.json()["errors"][0]


def test_the_full_contact_needs_a_purpose_is_audited_and_ends_with_the_consent(app, client, clock):
    from shoudai.lending import actions
    from shoudai.lending.models import Need

    tid = push_need(app, clock)["ICBC"]
    icbc = bank_client(app, client, clock, "ICBC")
    r = icbc.post(f"/api/v1/needs/{tid}/contact", json={"purpose": "电话联系企业核实经营情况"})
    assert r.status_code == 200 and r.json() == {"contact_name": "王小明", "contact_phone": "13800138000"}
    assert icbc.post(f"/api/v1/needs/{tid}/contact", json={"purpose": "看"}).status_code == 422
    other = bank_client(app, client, clock, "PSBC")
    assert other.post(f"/api/v1/needs/{tid}/contact", json={"purpose": "电话联系企业"}).status_code == 404
    with session_scope(app.state.engine) as s:
        reveals = s.scalars(select(AuditEvent).where(AuditEvent.action == "pii.reveal")).all()
        assert [(e.actor, e.object_id) for e in reveals] == [(f"api:ICBC:{icbc.key_id}", str(tid))]
        need = s.get(Need, s.get(NeedBank, tid).need_id)
        actions.withdraw_consent(s, need, actor="biz", now=clock())
    r = icbc.post(f"/api/v1/needs/{tid}/contact", json={"purpose": "电话联系企业核实经营情况"})
    assert (r.status_code, r.json()["code"]) == (409, "consent_withdrawn")
