"""Claims: exclusive across banks, bulk by filter, expiry back to the pool, assignment within the bank."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shoudai.audit.models import AuditEvent
from shoudai.audit.service import utc
from shoudai.outreach import claims, queries
from shoudai.outreach.claims import NotInScope
from shoudai.outreach.models import Claim
from shoudai.outreach.queries import EntryFilter

from .conftest import NOW, actor_of

KEY = "S410702000000"


def test_claim_one_is_exclusive_across_banks(session, version, people):
    icbc, ccb = people["icbc"], people["ccb"]
    won = claims.claim_one(session, icbc.scope, version, KEY, actor=actor_of(icbc), now=NOW)
    assert won is not None and won.bank_code == "ICBC" and utc(won.expires_at) == NOW + timedelta(days=30)
    assert claims.claim_one(session, ccb.scope, version, KEY, actor=actor_of(ccb), now=NOW) is None
    assert session.scalar(select(func.count()).select_from(Claim)) == 1
    outcomes = [e.outcome for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "outreach.claim")
                                                   .order_by(AuditEvent.id))]
    assert outcomes == ["success", "failure"]


def test_expired_claim_returns_entry_to_pool_and_sweep_marks_it(session, version, people):
    icbc, ccb = people["icbc"], people["ccb"]
    claims.claim_one(session, icbc.scope, version, KEY, actor=actor_of(icbc), now=NOW, days=1)
    pool_keys = lambda now: {e.entity_key for e in queries.pool(session, ccb.scope, version.id, EntryFilter(), now,
                                                                per_page=100)[0]}
    assert KEY not in pool_keys(NOW)
    later = NOW + timedelta(days=1, seconds=1)
    assert KEY in pool_keys(later)  # computed on read, before any sweep
    again = claims.claim_one(session, ccb.scope, version, KEY, actor=actor_of(ccb), now=later)
    assert again is not None and again.bank_code == "CCB"
    statuses = sorted(session.scalars(select(Claim.status).where(Claim.entity_key == KEY)))
    assert statuses == ["active", "expired"]


def test_bulk_claim_by_filter_skips_taken_and_out_of_scope(session, version, people):
    icbc, ccb = people["icbc"], people["ccb"]
    claims.claim_one(session, ccb.scope, version, KEY, actor=actor_of(ccb), now=NOW)
    f = EntryFilter(county="410702", tier="A")
    n = claims.claim_bulk(session, icbc.scope, version, f, actor=actor_of(icbc), now=NOW)
    expected = {e.entity_key for e in queries.list_entries(session, people["admin"].scope, version.id, f,
                                                            per_page=100)[0]} - {KEY}
    got = set(session.scalars(select(Claim.entity_key).where(Claim.bank_code == "ICBC")))
    assert n == len(expected) == len(got) and got == expected
    ev = session.scalar(select(AuditEvent).where(AuditEvent.action == "outreach.claim_bulk"))
    assert f'"claimed":{n}' in ev.detail


def test_bank_limited_to_its_counties(session, version, people):
    from shoudai.accounts import roles

    from .conftest import make_user
    local = make_user(session, "boc_hq", roles.BANK_HQ, bank="BOC", counties="410703")
    with pytest.raises(NotInScope):
        claims.claim_one(session, local.scope, version, KEY, actor=actor_of(local), now=NOW)
    n = claims.claim_bulk(session, local.scope, version, EntryFilter(), actor=actor_of(local), now=NOW)
    assert n == 20
    assert set(session.scalars(select(Claim.county_code).where(Claim.bank_code == "BOC"))) == {"410703"}


def test_non_bank_roles_cannot_claim(session, version, people):
    for who in ("admin", "county", "icbc_lo"):
        u = people[who]
        with pytest.raises(NotInScope):
            claims.claim_one(session, u.scope, version, KEY, actor=actor_of(u), now=NOW)


def test_assign_only_to_own_bank_officers_and_own_claims(session, version, people):
    icbc, ccb = people["icbc"], people["ccb"]
    mine = claims.claim_one(session, icbc.scope, version, KEY, actor=actor_of(icbc), now=NOW)
    theirs = claims.claim_one(session, ccb.scope, version, "S410702000001", actor=actor_of(ccb), now=NOW)
    with pytest.raises(NotInScope):
        claims.assign(session, icbc.scope, [mine.id], people["ccb_lo"].id, actor=actor_of(icbc), now=NOW)
    with pytest.raises(NotInScope):
        claims.assign(session, icbc.scope, [theirs.id], people["icbc_lo"].id, actor=actor_of(icbc), now=NOW)
    n = claims.assign(session, icbc.scope, [mine.id, theirs.id], people["icbc_lo"].id, actor=actor_of(icbc), now=NOW)
    assert n == 1
    session.refresh(mine), session.refresh(theirs)
    assert mine.assigned_to == people["icbc_lo"].id and theirs.assigned_to is None
    q, total = queries.queue(session, people["icbc_lo"].scope, NOW)
    assert total == 1 and q[0][0].entity_key == KEY
    assert queries.queue(session, people["icbc_lo2"].scope, NOW)[1] == 0


def test_release_returns_entry_at_once(session, version, people):
    icbc, ccb = people["icbc"], people["ccb"]
    c = claims.claim_one(session, icbc.scope, version, KEY, actor=actor_of(icbc), now=NOW)
    with pytest.raises(NotInScope):
        claims.release(session, ccb.scope, c.id, actor=actor_of(ccb), now=NOW)
    claims.release(session, icbc.scope, c.id, actor=actor_of(icbc), now=NOW)
    assert claims.claim_one(session, ccb.scope, version, KEY, actor=actor_of(ccb), now=NOW) is not None


def test_progress_counts_own_bank_only(session, version, people):
    from shoudai.outreach import contacts
    icbc, lo = people["icbc"], people["icbc_lo"]
    c = claims.claim_one(session, icbc.scope, version, KEY, actor=actor_of(icbc), now=NOW)
    claims.claim_one(session, people["ccb"].scope, version, "S410702000001", actor=actor_of(people["ccb"]), now=NOW)
    claims.assign(session, icbc.scope, [c.id], lo.id, actor=actor_of(icbc), now=NOW)
    contacts.record_contact(session, lo.scope, KEY, outcome="有需求", actor=actor_of(lo), now=NOW)
    p = queries.progress(session, icbc.scope, NOW)
    assert (p.held, p.assigned, p.contacted, p.by_outcome) == (1, 1, 1, {"有需求": 1})
    assert queries.progress(session, people["ccb"].scope, NOW).by_outcome == {}
