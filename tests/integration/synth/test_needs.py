"""The demo's loan needs: real services at simulated times, so the clocks and breaches they leave are consistent."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from shoudai.lending import sla
from shoudai.lending.models import Breach, Channel, Need, NeedBank
from shoudai.registry.models import ListEntry
from shoudai.synth.needs import seed_demo_needs

from ..oversight.factories import add_list, uscc

NOW = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)  # a Friday, 10:30 in Beijing


def _as_utc(t: datetime | None) -> datetime | None:
    return None if t is None else (t if t.tzinfo else t.replace(tzinfo=UTC))


def _city(session, n: int = 40) -> None:
    add_list(session, 2026, [(uscc("410702", i), "410702" if i % 2 else "410782", "sme") for i in range(n)])
    for e in session.scalars(select(ListEntry)):
        e.legal_rep_masked = "张*"
    session.flush()


def test_needs_are_pushed_and_worked_with_consistent_clocks(session):
    _city(session)
    report = seed_demo_needs(session, now=NOW, count=30, seed=7)

    assert report.channels == 6 and session.query(Channel).count() == 6
    assert report.needs == 30 == session.query(Need).count()
    rows = list(session.scalars(select(NeedBank)))
    assert len(rows) == report.tracks >= 30
    assert {r.stage for r in rows} <= set(sla.STAGES)
    assert len({r.stage for r in rows}) >= 4, "a demo with every track in one stage shows nothing"
    breached = {(b.need_bank_id, b.clock) for b in session.scalars(select(Breach))}
    assert len(breached) == report.breaches
    for r in rows:
        due, answered = _as_utc(r.answer_due_at), _as_utc(r.answered_at)
        assert _as_utc(r.pushed_at) <= NOW
        # The answer clock ran out exactly when the bank had not answered by its deadline (by now, or at all).
        late = (answered or NOW) > due
        assert ((r.id, "answer") in breached) == late, (r.id, r.stage, due, answered)
        if answered is not None:
            assert answered >= _as_utc(r.pushed_at)


def test_declines_carry_a_reason_and_disbursements_a_contract(session):
    _city(session)
    seed_demo_needs(session, now=NOW, count=30, seed=11)
    rows = list(session.scalars(select(NeedBank)))
    for r in rows:
        if r.stage == sla.DECLINED:
            assert r.decline_reason in sla.DECLINE_REASONS
        if r.stage == sla.DISBURSED:
            assert r.contract_no and r.disbursed_amount_wan > 0
