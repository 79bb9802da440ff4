"""A capped count (more than 10,000 matches) on the list pages: the total and the page count say "+", and a bulk claim
offers at most the bulk limit."""

from __future__ import annotations

from shoudai.db import session_scope
from shoudai.outreach import sample

from .test_lists_pages import signed_in


def test_capped_totals_show_plus_and_bulk_claim_offers_its_limit(app, clock):
    with session_scope(app.state.engine) as s:
        sample.add_version(s, 2026, 5001)  # 10,002 entries in two counties
    admin = signed_in(app, clock, "admin").get("/lists/entries").text
    assert "共 10000+ 户" in admin and "第1/200+页" in admin
    pool = signed_in(app, clock, "bankhq").get("/lists/pool").text
    assert "未认领 10000+ 户" in pool and "按当前条件全部认领（10000 户）" in pool
