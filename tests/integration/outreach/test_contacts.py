"""Contacts: only on the bank's live claim, only by its assignee (or the bank HQ), validated and audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from shoudai.audit.models import AuditEvent
from shoudai.outreach import claims, contacts, queries
from shoudai.outreach.claims import NotInScope, OutreachError

from .conftest import NOW, actor_of

KEY = "S410702000003"


@pytest.fixture
def assigned(session, version, people):
    hq, lo = people["icbc"], people["icbc_lo"]
    c = claims.claim_one(session, hq.scope, version, KEY, actor=actor_of(hq), now=NOW)
    claims.assign(session, hq.scope, [c.id], lo.id, actor=actor_of(hq), now=NOW)
    return c


def test_assignee_records_contact_and_queue_shows_follow_up(session, people, assigned):
    lo = people["icbc_lo"]
    due = date(2026, 3, 9)
    c = contacts.record_contact(session, lo.scope, KEY, outcome="有需求", note="需要流动资金50万",
                                next_follow_up=due, today=date(2026, 3, 2), actor=actor_of(lo), now=NOW)
    assert (c.claim_id, c.bank_code, c.officer_id) == (assigned.id, "ICBC", lo.id)
    rows, total = queries.queue(session, lo.scope, NOW)
    assert total == 1 and rows[0].outcome == "有需求" and rows[0].follow_up == due
    ev = session.scalar(select(AuditEvent).where(AuditEvent.action == "outreach.contact"))
    assert ev.object_id == KEY and ev.actor == "icbc_lo"


@pytest.mark.parametrize("who", ["icbc_lo2", "ccb_lo", "ccb", "county", "admin"])
def test_others_cannot_record(session, people, assigned, who):
    u = people[who]
    with pytest.raises(NotInScope):
        contacts.record_contact(session, u.scope, KEY, outcome="暂无需求", actor=actor_of(u), now=NOW)


def test_contact_validation(session, people, assigned):
    lo = people["icbc_lo"]
    with pytest.raises(OutreachError):
        contacts.record_contact(session, lo.scope, KEY, outcome="随便", actor=actor_of(lo), now=NOW)
    with pytest.raises(OutreachError):
        contacts.record_contact(session, lo.scope, KEY, outcome="无法联系", next_follow_up=date(2026, 3, 1),
                                today=date(2026, 3, 2), actor=actor_of(lo), now=NOW)


def test_no_contact_after_claim_expired(session, people, assigned):
    lo = people["icbc_lo"]
    with pytest.raises(NotInScope):
        contacts.record_contact(session, lo.scope, KEY, outcome="有需求", actor=actor_of(lo),
                                now=NOW + timedelta(days=31))


def test_entity_view_scoped_per_role(session, version, people, assigned):
    lo = people["icbc_lo"]
    contacts.record_contact(session, lo.scope, KEY, outcome="有需求", actor=actor_of(lo), now=NOW)
    view = lambda who: queries.entity_view(session, people[who].scope, KEY, NOW)
    assert len(view("admin").claims) == 1 and len(view("county").contacts) == 1
    assert len(view("icbc").contacts) == 1 and view("icbc").live_claim is not None
    assert view("icbc_lo").contacts[0].outcome == "有需求"
    ccb = view("ccb")  # whole-city bank: sees the business, not ICBC's claims or contacts
    assert ccb is not None and ccb.claims == [] and ccb.contacts == [] and ccb.live_claim is None
    assert view("icbc_lo2") is None and view("ccb_lo") is None
    assert queries.entity_view(session, people["county"].scope, "S410703000003", NOW) is None
    assert queries.entity_view(session, people["admin"].scope, "nope", NOW) is None


def test_entity_view_shows_expiry_before_any_sweep(session, people, assigned):
    admin = people["admin"]
    assert [c.shown_status for c in queries.entity_view(session, admin.scope, KEY, NOW).claims] == ["active"]
    later = queries.entity_view(session, admin.scope, KEY, NOW + timedelta(days=30, seconds=1))
    assert [c.shown_status for c in later.claims] == ["expired"] and later.live_claim is None
