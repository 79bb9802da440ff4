"""The business's own reads: contacts, its needs (merged repeats folded), another business's need is NotFound."""

import pytest

from shoudai.lending import business
from shoudai.lending.common import NotFound


def test_reads_are_limited_to_one_credit_code(session, kit):
    t0 = kit.sh(2026, 3, 2, 9)
    a = kit.pushed_need(1, at=t0)
    repeat = kit.submit(1, at=kit.sh(2026, 3, 3, 9), key="repeat-of-a").need  # merged into a
    b = kit.pushed_need(2, at=kit.sh(2026, 3, 2, 10))  # same contact phone: past its one-code-a-minute limit
    assert repeat.id == a.id
    assert [n.ref for n in business.needs_of(session, a.uscc)] == [a.ref]
    assert business.need_of(session, a.uscc, a.ref.lower()) is a
    with pytest.raises(NotFound):
        business.need_of(session, a.uscc, b.ref)
    assert business.is_contact(session, a.uscc, "+86 138 0013 8000")
    assert not business.is_contact(session, a.uscc, "13900139000")
    assert not business.is_contact(session, kit.make_uscc(3), "13800138000")


def test_timeline_is_in_order_with_details(session, kit):
    t0 = kit.sh(2026, 3, 2, 9)
    need = kit.pushed_need(1, at=t0)
    steps = business.timeline(session, need)
    assert [s.kind for s in steps] == ["submitted", "verification", "pushed", "pushed"]
    assert {s.detail.get("bank") for s in steps if s.kind == "pushed"} == {"HXRCB", "PSBC"}
    assert steps[0].detail["channel"] == "hx-tax"
