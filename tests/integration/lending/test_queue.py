"""The workbench's read and bulk services: the queue's SQL urgency equals sla.urgency, pages, provisional deadlines,
time left, bulk answer all or nothing, compliance ranking and answered-on-time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoudai.lending import actions, bulk, compliance, queue, service, sla
from shoudai.lending.common import NotFound
from shoudai.lending.tracks import to_track
from shoudai.reference.calendar_store import load_calendar


def test_sql_urgency_equals_sla_urgency_across_national_day(session, kit):
    cal = load_calendar(session)
    # Pushed around the 2025 National Day break: deadlines jump over eight days off.
    needs = [kit.pushed_need(n, at=at) for n, at in enumerate(
        (kit.sh(2025, 9, 28, 9), kit.sh(2025, 9, 29, 15), kit.sh(2025, 9, 30, 16), kit.sh(2025, 10, 9, 10)), start=1)]
    rows = [service.tracks_of(session, need)[0] for need in needs]
    # One answered track: no clock runs, so it is "idle" whatever the time.
    actions.answer(session, rows[0].id, [], bank_code="HXRCB", actor="b", now=kit.sh(2025, 9, 29, 9))
    now, seen = kit.sh(2025, 9, 29, 0), set()
    while now < kit.sh(2025, 10, 14):
        for u in queue.URGENCIES:
            found = {r.need_bank_id for r in queue.page(session, "HXRCB", queue.QueueFilter(urgency=u), now=now,
                                                        cal=cal, per_page=100)[0]}
            expected = {r.id for r in rows if sla.urgency(to_track(r), now, cal) == u}
            assert found == expected, (u, now)
            seen |= {u} if found else set()
        now += timedelta(hours=7)
    assert seen == set(queue.URGENCIES)  # every colour was actually reached


def test_pages_keep_deadline_order_and_the_county_filter_narrows(session, kit):
    cal = load_calendar(session)
    needs = [kit.pushed_need(n, at=kit.sh(2026, 3, 2 + n)) for n in range(1, 6)]
    needs[0].county_code = "410702"
    session.flush()
    now = kit.sh(2026, 3, 4)
    p1, total = queue.page(session, "HXRCB", queue.QueueFilter(), now=now, cal=cal, page=1, per_page=2)
    p3, _ = queue.page(session, "HXRCB", queue.QueueFilter(), now=now, cal=cal, page=3, per_page=2)
    assert total == 5 and [r.ref for r in p1] == [needs[0].ref, needs[1].ref] and [r.ref for r in p3] == [needs[4].ref]
    rows, total = queue.page(session, "HXRCB", queue.QueueFilter(county="410702"), now=now, cal=cal)
    assert total == 1 and rows[0].ref == needs[0].ref
    assert queue.counties(session, "HXRCB") == ["410702", "410782"]
    assert queue.page(session, "ICBC", queue.QueueFilter(), now=now, cal=cal)[1] == 0  # another bank's queue
    with pytest.raises(ValueError):
        queue.page(session, "", queue.QueueFilter(), now=now, cal=cal)
    # A stale filter value is dropped, not trusted.
    assert queue.QueueFilter(stage="drop table", urgency="x", county="41'--").clean() == queue.QueueFilter()


def test_a_deadline_in_an_unpublished_year_is_flagged(session, kit):
    cal = load_calendar(session)
    kit.pushed_need(1, at=kit.sh(2026, 12, 30, 10))
    (row,), _ = queue.page(session, "HXRCB", queue.QueueFilter(), now=kit.sh(2026, 12, 30, 11), cal=cal)
    assert row.provisional and row.due_at.date().year == 2027


def test_time_left_in_working_days_hours_and_overdue_days(session, kit):
    cal = load_calendar(session)
    due = kit.sh(2025, 10, 10, 23, 59).replace(second=59)  # Friday after National Day
    assert queue.remaining(due, kit.sh(2025, 9, 30, 16), cal) == ("working_days", 2)  # 10-09 and 10-10
    assert queue.remaining(due, kit.sh(2025, 10, 10, 20, 30), cal) == ("hours", 4)
    assert queue.remaining(due, kit.sh(2025, 10, 13, 9), cal) == ("overdue_days", 3)
    assert queue.remaining(None, kit.sh(2025, 10, 13, 9), cal) is None


def test_bulk_answer_is_all_or_nothing(session, kit):
    tracks = [service.tracks_of(session, kit.pushed_need(n, at=kit.sh(2026, 3, 1 + n))) for n in (1, 2, 3)]
    (a, psbc), (b, _), (c, _) = tracks
    actions.answer(session, c.id, [], bank_code="HXRCB", actor="b", now=kit.sh(2026, 3, 5))
    with pytest.raises(bulk.BulkRefused) as refused:
        bulk.answer_many(session, [a.id, b.id, c.id], ["提供纳税证明"], bank_code="HXRCB", actor="b",
                         now=kit.sh(2026, 3, 5))
    assert [(r.need_bank_id, r.ok) for r in refused.value.results] == [(a.id, True), (b.id, True), (c.id, False)]
    with pytest.raises(NotFound):  # another bank's track among them: as if it did not exist
        bulk.answer_many(session, [a.id, psbc.id], [], bank_code="HXRCB", actor="b", now=kit.sh(2026, 3, 5))
    assert (a.stage, b.stage, psbc.stage) == (sla.PUSHED, sla.PUSHED, sla.PUSHED)
    done = bulk.answer_many(session, [a.id, b.id, a.id], ["提供纳税证明"], bank_code="HXRCB", actor="b",
                            now=kit.sh(2026, 3, 5))
    assert [r.need_bank_id for r in done] == [a.id, b.id] and all(r.ok for r in done)
    assert (a.stage, b.stage) == (sla.INTENT, sla.INTENT) and "提供纳税证明" in a.conditions


def test_late_answers_are_answered_but_not_on_time_and_banks_are_ranked(session, kit):
    hx, psbc = service.tracks_of(session, kit.pushed_need(1, at=kit.sh(2026, 3, 2)))
    actions.answer(session, hx.id, [], bank_code="HXRCB", actor="b", now=kit.sh(2026, 3, 3))
    actions.answer(session, psbc.id, [], bank_code="PSBC", actor="b", now=kit.sh(2026, 3, 9))  # due 03-04: late
    start, end = compliance.month_bounds(2026, 3)
    rows = compliance.ranked(session, start=start, end=end)
    assert [(r["rank"], r["bank_code"], r["answered"], r["answered_on_time"]) for r in rows] == [
        (1, "HXRCB", 1, 1), (2, "PSBC", 1, 0)]
    assert [r["bank_code"] for r in compliance.ranked(session, start=start, end=end, bank_code="PSBC")] == ["PSBC"]
    assert compliance.month_bounds(2026, 12)[1].year == 2027
    assert compliance.parse_month("2026-13", kit.sh(2026, 3, 2).date()) == (2026, 3)
