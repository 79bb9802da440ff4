"""The branch pool: a bank HQ puts claims in a branch's pool; only that branch's officers see and take them."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.audit.models import AuditEvent
from shoudai.outreach import branch, claims, queries, sample
from shoudai.outreach.claims import NotInScope, OutreachError
from shoudai.outreach.models import Claim
from shoudai.outreach.queries import EntryFilter

from .conftest import NOW, actor_of, make_user

KEYS = [f"S410702{i:06d}" for i in range(4)]


def _claim_all(session, version, hq, keys=KEYS, days=None):
    return [claims.claim_one(session, hq.scope, version, k, actor=actor_of(hq), now=NOW, days=days).id
            for k in keys]


def _pool_keys(session, user, now=NOW) -> set[str]:
    return {c.entity_key for c, *_ in branch.pool(session, user.scope, now, per_page=100)[0]}


@pytest.fixture
def pooled(session, version, people):
    """ICBC holds KEYS, all put in branch ICBC-01's pool; a second ICBC-01 officer exists."""
    icbc = people["icbc"]
    people["icbc_lo_b"] = make_user(session, "icbc_lo_b", roles.LOAN_OFFICER, bank="ICBC", branch="ICBC-01")
    ids = _claim_all(session, version, icbc)
    assert branch.assign_to_branch(session, icbc.scope, ids, "ICBC-01", actor=actor_of(icbc), now=NOW) == 4
    return ids


def test_only_the_branchs_officers_see_its_pool(session, pooled, people):
    assert _pool_keys(session, people["icbc_lo"]) == set(KEYS)
    assert _pool_keys(session, people["icbc_lo_b"]) == set(KEYS)
    for other in ("icbc_lo2", "ccb_lo", "icbc", "county", "admin"):  # other branch, other bank, non-officers
        assert _pool_keys(session, people[other]) == set(), other
    assert branch.pool_sizes(session, people["icbc"].scope, NOW) == {"ICBC-01": 4}
    assert branch.pool_sizes(session, people["icbc_lo2"].scope, NOW) == {}
    assert branch.pool_sizes(session, people["ccb"].scope, NOW) == {}


def test_officer_takes_into_its_queue_and_a_colleague_gets_nothing(session, pooled, people):
    lo, colleague = people["icbc_lo"], people["icbc_lo_b"]
    assert branch.take(session, lo.scope, pooled[:2], actor=actor_of(lo), now=NOW) == 2
    queue_keys = {c.entity_key for c, *_ in queries.queue(session, lo.scope, NOW)[0]}
    assert queue_keys == set(KEYS[:2])
    assert _pool_keys(session, colleague) == set(KEYS[2:])
    assert branch.take(session, colleague.scope, pooled[:1], actor=actor_of(colleague), now=NOW) == 0
    assert session.get(Claim, pooled[0]).assigned_to == lo.id
    outcomes = [(e.actor, e.outcome) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.action == "outreach.take").order_by(AuditEvent.id))]
    assert outcomes == [("icbc_lo", "success"), ("icbc_lo_b", "failure")]


def test_another_branch_or_bank_cannot_take(session, pooled, people):
    for who in ("icbc_lo2", "ccb_lo", "icbc", "ccb", "county"):
        u = people[who]
        with pytest.raises(NotInScope):
            branch.take(session, u.scope, pooled, actor=actor_of(u), now=NOW)
    assert all(session.get(Claim, i).assigned_to is None for i in pooled)
    with pytest.raises(OutreachError):
        branch.take(session, people["icbc_lo"].scope, [], actor=actor_of(people["icbc_lo"]), now=NOW)


def test_pooling_is_limited_to_the_banks_own_claims_and_branches(session, version, people):
    icbc, ccb = people["icbc"], people["ccb"]
    ids = _claim_all(session, version, icbc, KEYS[:1])
    with pytest.raises(NotInScope):  # CCB's branch is not ICBC's
        branch.assign_to_branch(session, icbc.scope, ids, "CCB-01", actor=actor_of(icbc), now=NOW)
    with pytest.raises(NotInScope):  # CCB cannot move ICBC's claim into its own branch
        branch.assign_to_branch(session, ccb.scope, ids, "CCB-01", actor=actor_of(ccb), now=NOW)
    with pytest.raises(NotInScope):  # only a bank HQ pools
        branch.assign_to_branch(session, people["icbc_lo"].scope, ids, "ICBC-01", actor=actor_of(icbc), now=NOW)
    assert branch.bank_branches(session, icbc.scope) == ["ICBC-01", "ICBC-02"]
    assert session.get(Claim, ids[0]).branch_code is None


def test_direct_assignment_records_the_branch_and_repooling_takes_it_back(session, version, people):
    icbc, lo = people["icbc"], people["icbc_lo"]
    ids = _claim_all(session, version, icbc, KEYS[:1])
    claims.assign(session, icbc.scope, ids, people["icbc_lo2"].id, actor=actor_of(icbc), now=NOW)
    c = session.get(Claim, ids[0])
    assert (c.branch_code, c.assigned_to) == ("ICBC-02", people["icbc_lo2"].id)
    branch.assign_to_branch(session, icbc.scope, ids, "ICBC-01", actor=actor_of(icbc), now=NOW)
    session.refresh(c)
    assert (c.branch_code, c.assigned_to) == ("ICBC-01", None)
    assert _pool_keys(session, lo) == {KEYS[0]}
    assert queries.queue(session, people["icbc_lo2"].scope, NOW)[1] == 0


def test_expired_claims_leave_the_branch_pool(session, version, people):
    icbc, lo = people["icbc"], people["icbc_lo"]
    ids = _claim_all(session, version, icbc, KEYS[:2], days=1)
    branch.assign_to_branch(session, icbc.scope, ids, "ICBC-01", actor=actor_of(icbc), now=NOW)
    later = NOW + timedelta(days=1, seconds=1)
    assert _pool_keys(session, lo, later) == set()
    with pytest.raises(NotInScope):
        branch.take(session, lo.scope, ids, actor=actor_of(lo), now=later)
    # Back in every bank's pool: CCB may claim the business now.
    assert KEYS[0] in {e.entity_key for e in queries.pool(session, people["ccb"].scope, version.id,
                                                          EntryFilter(county="410702"), later, per_page=100)[0]}


@pytest.mark.postgres
def test_two_officers_take_the_same_claim_at_once_exactly_one_wins(engine):
    with Session(engine, expire_on_commit=False) as s:
        v = sample.add_version(s, 2026, 5)
        hq = make_user(s, "icbc_hq", roles.BANK_HQ, bank="ICBC")
        a = make_user(s, "lo_a", roles.LOAN_OFFICER, bank="ICBC", branch="ICBC-01")
        b = make_user(s, "lo_b", roles.LOAN_OFFICER, bank="ICBC", branch="ICBC-01")
        cid = claims.claim_one(s, hq.scope, v, KEYS[0], actor=actor_of(hq), now=NOW).id
        branch.assign_to_branch(s, hq.scope, [cid], "ICBC-01", actor=actor_of(hq), now=NOW)
        s.commit()
    barrier, got, errors = threading.Barrier(2), {}, []

    def run(u):
        try:
            with Session(engine) as s:
                s.execute(select(1))
                barrier.wait()
                got[u.username] = branch.take(s, u.scope, [cid], actor=actor_of(u), now=NOW)
                s.commit()
        except Exception as exc:  # noqa: BLE001  (a lost race must be 0, never an error)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(u,)) for u in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and sorted(got.values()) == [0, 1]
    with Session(engine) as s:
        assert s.get(Claim, cid).assigned_to == (a.id if got["lo_a"] else b.id)
