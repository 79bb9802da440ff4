"""The deadline sweep on a real database: breaches, escalation, due-soon warnings, provisional recomputes."""

import json
from datetime import date

from sqlalchemy import func, select

from shoudai.kit.calendar import SHANGHAI
from shoudai.lending import actions, service, sla, sweep
from shoudai.lending.models import Breach, NeedEvent
from shoudai.outbox.models import OutboxMessage
from shoudai.reference.calendar_store import import_arrangement, load_calendar


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _hooks(session, topic):
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)))


def test_national_day_push_breaches_only_after_october_10(session, kit):
    need = kit.pushed_need(at=kit.sh(2025, 9, 30, 16))
    rows = service.tracks_of(session, need)
    assert {service.utc(r.answer_due_at).astimezone(SHANGHAI).date() for r in rows} == {date(2025, 10, 10)}
    assert sweep.sweep(session, now=kit.sh(2025, 10, 10, 23, 59)) == {"answer": 0, "accept": 0, "decide": 0}
    assert sweep.sweep(session, now=kit.sh(2025, 10, 11, 0, 0)) == {"answer": 2, "accept": 0, "decide": 0}
    assert all(r.answer_breached for r in rows)
    assert sweep.sweep(session, now=kit.sh(2025, 10, 12)) == {"answer": 0, "accept": 0, "decide": 0}  # once only
    breach = session.scalars(select(Breach).order_by(Breach.id)).first()
    assert breach.clock == "answer" and breach.notified_at is None and not breach.provisional
    assert sweep.notify_breaches(session, now=kit.sh(2025, 10, 11, 0, 5), actor="system:sweep") == 2
    assert sweep.notify_breaches(session, now=kit.sh(2025, 10, 11, 0, 6), actor="system:sweep") == 0
    hooks = _hooks(session, "sla.breach")
    assert sorted(h.destination for h in hooks) == ["HXRCB", "PSBC"]
    assert json.loads(hooks[0].payload)["clock"] == "answer"
    assert _count(session, NeedEvent, NeedEvent.kind == "breach") == 2


def test_a_late_answer_is_still_taken_and_the_breach_stays(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 3, 2))
    row = service.tracks_of(session, need)[0]
    sweep.sweep(session, now=kit.sh(2026, 3, 6))
    actions.answer(session, row.id, [], bank_code="HXRCB", actor="b", now=kit.sh(2026, 3, 6, 9))
    assert row.stage == sla.INTENT and row.answer_breached
    assert _count(session, Breach, Breach.need_bank_id == row.id) == 1


def test_accept_and_decide_clocks_are_swept_too(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 3, 2))
    a, b = service.tracks_of(session, need)
    actions.answer(session, a.id, [], bank_code="HXRCB", actor="b", now=kit.sh(2026, 3, 2, 11))
    actions.mark_conditions_met(session, a.id, bank_code="HXRCB", actor="b", now=kit.sh(2026, 3, 2, 12))
    actions.answer(session, b.id, [], bank_code="PSBC", actor="b", now=kit.sh(2026, 3, 2, 11))
    actions.mark_conditions_met(session, b.id, bank_code="PSBC", actor="b", now=kit.sh(2026, 3, 2, 12))
    actions.accept(session, b.id, bank_code="PSBC", actor="b", now=kit.sh(2026, 3, 2, 13))
    assert sweep.sweep(session, now=kit.sh(2026, 3, 4)) == {"answer": 0, "accept": 1, "decide": 1}


def test_due_soon_goes_out_once_on_the_working_day_before(session, kit):
    cal = load_calendar(session)
    need = kit.pushed_need(at=kit.sh(2025, 9, 30, 16))
    assert sweep.warn_due_soon(session, now=kit.sh(2025, 10, 8, 18), actor="s", cal=cal) == 0
    assert sweep.warn_due_soon(session, now=kit.sh(2025, 10, 9, 8), actor="s", cal=cal) == 2
    assert sweep.warn_due_soon(session, now=kit.sh(2025, 10, 9, 9), actor="s", cal=cal) == 0
    assert {json.loads(h.payload)["clock"] for h in _hooks(session, "sla.due_soon")} == {"answer"}
    assert all(r.warned_clock == "answer" for r in service.tracks_of(session, need))


def test_a_push_on_2026_12_30_is_provisional_until_2027_is_imported(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 12, 30, 10))
    row = service.tracks_of(session, need)[0]
    assert row.answer_due_provisional
    assert service.utc(row.answer_due_at).astimezone(SHANGHAI).date() == date(2027, 1, 1)
    # On the guess, the bank is late on 2 January; the breach is recorded as provisional.
    report = sweep.run_sweep(session, now=kit.sh(2027, 1, 2, 9), actor="system:sweep")
    assert report.breaches["answer"] == 2
    assert session.scalars(select(Breach.provisional)).all() == [True, True]
    import_arrangement(session, [["date", "kind", "name"], ["2027-01-01", "holiday", "元旦（测试）"],
                                 ["2027-01-02", "holiday", "元旦（测试）"], ["2027-01-03", "holiday", "元旦（测试）"]],
                       actor="test", source="TEST-2027.csv")
    report = sweep.run_sweep(session, now=kit.sh(2027, 1, 2, 10), actor="system:sweep")
    assert report.recomputed == 2 and report.breaches["answer"] == 0
    session.refresh(row)
    assert not row.answer_due_provisional and not row.answer_breached
    assert service.utc(row.answer_due_at).astimezone(SHANGHAI).date() == date(2027, 1, 4)
    assert _count(session, Breach) == 0
    ev = session.scalars(select(NeedEvent).where(NeedEvent.kind == "deadline_recomputed")).first()
    assert json.loads(ev.detail)["provisional"] is False
    assert sweep.run_sweep(session, now=kit.sh(2027, 1, 5), actor="s").breaches["answer"] == 2
