"""The 211 workflow on a real database: bank steps, business steps, scope, no dead ends."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from shoudai.lending import actions, service, sla
from shoudai.lending.common import LendingError, NotFound
from shoudai.lending.models import NeedEvent
from shoudai.outbox.models import OutboxMessage


def _texts(session, topic_prefix="sms."):
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.topic.startswith(topic_prefix))
                           .order_by(OutboxMessage.id))
    return [json.loads(r.payload).get("text", "") for r in rows]


def test_the_whole_path_to_disbursement(session, kit):
    t0 = kit.sh(2026, 3, 2, 9)
    need = kit.pushed_need(at=t0)
    row = service.tracks_of(session, need)[0]
    actions.answer(session, row.id, ["提供近6个月银行流水", "提供纳税证明"], bank_code="HXRCB", actor="bank:a", now=t0 + timedelta(hours=3))
    assert row.stage == sla.INTENT and json.loads(row.conditions) == ["提供近6个月银行流水", "提供纳税证明"]
    actions.claim_conditions_met(session, need, row.id, actor="biz", now=kit.sh(2026, 3, 5, 10))
    assert row.stage == sla.CLAIMED and row.conditions_claimed_at is not None
    actions.mark_conditions_met(session, row.id, bank_code="HXRCB", actor="bank:a", now=kit.sh(2026, 3, 6, 16))
    assert row.stage == sla.CONDITIONS_MET
    assert service.utc(row.accept_due_at).date() == date(2026, 3, 9)  # Friday → Monday (15:59 UTC)
    actions.accept(session, row.id, bank_code="HXRCB", actor="bank:a", now=kit.sh(2026, 3, 9, 9))
    assert service.utc(row.decide_due_at).date() == date(2026, 3, 10)
    actions.decide(session, row.id, True, bank_code="HXRCB", actor="bank:a", now=kit.sh(2026, 3, 10, 9))
    actions.disburse(session, row.id, Decimal("45.5"), date(2026, 3, 12), "HX-2026-0001", bank_code="HXRCB",
                     actor="bank:a", now=kit.sh(2026, 3, 12, 11))
    assert row.stage == sla.DISBURSED and row.disbursed_amount_wan == Decimal("45.50")
    assert need.status == service.OPEN  # PSBC is still on it
    other = service.tracks_of(session, need)[1]
    actions.withdraw(session, need, other.id, actor="biz", now=kit.sh(2026, 3, 12, 12))
    assert other.stage == sla.WITHDRAWN and need.status == service.CLOSED
    texts = _texts(session)
    assert any("已放款 45.50 万元" in t for t in texts)
    assert any("已正式受理" in t for t in texts)
    kinds = session.scalars(select(NeedEvent.kind).where(NeedEvent.need_bank_id == row.id)
                            .order_by(NeedEvent.id)).all()
    assert kinds == ["pushed", "answered", "conditions_claimed", "conditions_met", "accepted", "approved", "disbursed"]
    actions.rate(session, need, 5, "很快", actor="biz", now=kit.sh(2026, 3, 13))
    assert need.rating == 5


def test_another_bank_cannot_touch_a_track(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 3, 2))
    row = service.tracks_of(session, need)[0]
    with pytest.raises(NotFound):
        actions.answer(session, row.id, [], bank_code="ICBC", actor="bank:icbc", now=kit.sh(2026, 3, 3))
    assert row.stage == sla.PUSHED


def test_illegal_steps_are_refused(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 3, 2))
    row = service.tracks_of(session, need)[0]
    with pytest.raises(LendingError, match="不允许"):
        actions.accept(session, row.id, bank_code="HXRCB", actor="b", now=kit.sh(2026, 3, 3))
    with pytest.raises(LendingError, match="拒绝原因"):
        actions.decline(session, row.id, "dunno", bank_code="HXRCB", actor="b", now=kit.sh(2026, 3, 3))


def test_decline_offers_the_way_onward_and_reroute_goes_to_the_next_bank(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 3, 2))
    hx, psbc = service.tracks_of(session, need)
    actions.decline(session, hx.id, "no_collateral", "需补充抵押", bank_code="HXRCB", actor="b", now=kit.sh(2026, 3, 3))
    actions.decline(session, psbc.id, "no_cash_flow", bank_code="PSBC", actor="b", now=kit.sh(2026, 3, 3))
    assert need.status == service.CLOSED
    assert any("缺少抵押担保" in t and "一企一策" in t for t in _texts(session))
    options = actions.onward_options(session, need, now=kit.sh(2026, 3, 3))
    assert set(options["stuck_tracks"]) == {hx.id, psbc.id} and options["next_bank"] not in ("HXRCB", "PSBC")
    new = actions.reroute(session, need, "bank", from_track_id=hx.id, actor="biz", now=kit.sh(2026, 3, 4))
    assert new.bank_code == options["next_bank"] and new.routed_by == "rerouted" and new.rerouted_from_id == hx.id
    pushed_hooks = session.scalars(select(OutboxMessage.destination).where(OutboxMessage.topic == "need.pushed")).all()
    assert new.bank_code not in pushed_hooks  # no endpoint registered: the new bank sees it on its workbench
    assert need.status == service.OPEN and new.bank_code in json.loads(need.consent_banks)
    with pytest.raises(LendingError):
        actions.reroute(session, need, "bank", bank_code="PSBC", actor="biz", now=kit.sh(2026, 3, 4))
    actions.reroute(session, need, "centre", actor="biz", now=kit.sh(2026, 3, 4))
    actions.reroute(session, need, "plan", actor="biz", now=kit.sh(2026, 3, 4))
    assert need.referred_to_centre_at is not None and need.plan_requested_at is not None


def test_a_silent_bank_can_be_rerouted_only_after_its_clock_ran_out(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 3, 2))
    hx = service.tracks_of(session, need)[0]
    with pytest.raises(LendingError):
        actions.reroute(session, need, "bank", from_track_id=hx.id, actor="biz", now=kit.sh(2026, 3, 4, 20))
    new = actions.reroute(session, need, "bank", from_track_id=hx.id, actor="biz", now=kit.sh(2026, 3, 5, 8))
    assert hx.stage == sla.REROUTED and new.stage == sla.PUSHED


def test_withdrawing_consent_ends_every_track_and_tells_the_banks(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 3, 2))
    actions.withdraw_consent(session, need, actor="biz", now=kit.sh(2026, 3, 3))
    assert {r.stage for r in service.tracks_of(session, need)} == {sla.WITHDRAWN}
    assert need.status == service.CLOSED and not service.shares_with(need, "HXRCB")
    hooks = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "need.consent_withdrawn")).all()
    assert sorted(h.destination for h in hooks) == ["HXRCB", "PSBC"]
    assert "删除" in json.loads(hooks[0].payload)["instruction"]
    with pytest.raises(LendingError):
        actions.reroute(session, need, "bank", actor="biz", now=kit.sh(2026, 3, 4))


def test_complaints_are_on_the_timeline_and_sent_to_the_bank(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 3, 2))
    row = service.tracks_of(session, need)[0]
    actions.complain(session, need, "客户经理一直不接电话", need_bank_id=row.id, actor="biz", now=kit.sh(2026, 3, 3))
    ev = session.scalars(select(NeedEvent).where(NeedEvent.kind == "complaint")).one()
    assert json.loads(ev.detail)["bank"] == "HXRCB"
    with pytest.raises(LendingError):
        actions.rate(session, need, 6, actor="biz", now=kit.sh(2026, 3, 3))


def test_the_bank_queue_puts_the_nearest_deadline_first(session, kit):
    a = kit.pushed_need(1, at=kit.sh(2026, 3, 4))
    b = kit.pushed_need(2, at=kit.sh(2026, 3, 2), contact_phone="13800138000")
    queue = actions.bank_queue(session, "HXRCB")
    assert [r.need_id for r in queue] == [b.id, a.id]


def test_every_step_is_in_the_audit_trail_with_its_actor(session, kit):
    from shoudai.audit.actor import Actor
    from shoudai.audit.models import AuditEvent
    from shoudai.audit.service import verify_chain

    need = kit.pushed_need(at=kit.sh(2026, 3, 2))
    row = service.tracks_of(session, need)[0]
    officer = Actor(username="hx.officer", role="loan_officer", user_id=None, source="10.2.3.4")
    actions.answer(session, row.id, ["提供纳税证明"], bank_code="HXRCB", actor=officer, now=kit.sh(2026, 3, 3))
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions_seen = [e.action for e in events]
    assert actions_seen[:7] == ["lending.channel_created", "lending.bank_endpoint_set", "lending.bank_endpoint_set",
                                "lending.submitted", "lending.verification", "account.enterprise_created",
                                "lending.pushed"]
    assert all("secret" not in e.detail for e in events)
    last = events[-1]
    assert (last.action, last.actor, last.role, last.source) == ("lending.answered", "hx.officer", "loan_officer",
                                                                 "10.2.3.4")
    assert last.object_type == "need_bank" and last.object_id == str(row.id)
    assert verify_chain(session).ok


def test_status_view_and_compliance_figures(session, kit):
    from shoudai.lending import sweep, views
    from shoudai.reference.calendar_store import load_calendar

    cal = load_calendar(session)
    need = kit.pushed_need(at=kit.sh(2025, 9, 30, 16))
    hx, psbc = service.tracks_of(session, need)
    actions.answer(session, hx.id, ["提供纳税证明"], bank_code="HXRCB", actor="b", now=kit.sh(2025, 10, 9))
    sweep.sweep(session, now=kit.sh(2025, 10, 11))
    view = views.need_view(session, need, now=kit.sh(2025, 10, 11), cal=cal)
    by_bank = {t.bank_code: t for t in view.tracks}
    assert by_bank["HXRCB"].business_actions == ("claim_conditions_met", "withdraw")
    assert by_bank["HXRCB"].conditions == ("提供纳税证明",) and by_bank["HXRCB"].urgency == "idle"
    assert by_bank["PSBC"].urgency == "breached" and by_bank["PSBC"].due_at.date() == date(2025, 10, 10)
    assert view.onward["stuck_tracks"] == [psbc.id]
    figures = {r["bank_code"]: r for r in views.compliance_by_bank(session, start=kit.sh(2025, 9, 1),
                                                                    end=kit.sh(2025, 11, 1))}
    assert figures["HXRCB"]["on_time"] == 1 and figures["HXRCB"]["answered"] == 1
    assert figures["PSBC"]["answer_breaches"] == 1 and figures["PSBC"]["on_time_rate"] == 0.0
