"""Two banks claiming the same entries in concurrent transactions: each entry is won exactly once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.outreach import claims, sample
from shoudai.outreach.models import Claim
from shoudai.outreach.queries import EntryFilter

from .conftest import NOW, actor_of, make_user

pytestmark = pytest.mark.postgres


@pytest.fixture
def committed(engine):
    with Session(engine, expire_on_commit=False) as s:
        v = sample.add_version(s, 2026, 200)
        a = make_user(s, "icbc_hq", roles.BANK_HQ, bank="ICBC")
        b = make_user(s, "ccb_hq", roles.BANK_HQ, bank="CCB")
        s.commit()
        return v, a, b


def _race(engine, version, users, work):
    """Run work(session, user) for each user in its own transaction, both open before either commits."""
    barrier = threading.Barrier(len(users))
    results, errors = {}, []

    def run(u):
        try:
            with Session(engine) as s:
                s.execute(select(1))
                barrier.wait()
                results[u.username] = work(s, u)
                s.commit()
        except Exception as exc:  # noqa: BLE001  (surfaced below: a lost race must never be an error)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_two_banks_claim_one_entry_at_once_exactly_one_wins(engine, committed):
    version, a, b = committed
    key = "S410702000007"
    res = _race(engine, version, [a, b], lambda s, u: claims.claim_one(
        s, u.scope, version, key, actor=actor_of(u), now=NOW) is not None)
    assert sorted(res.values()) == [False, True]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Claim).where(Claim.entity_key == key)) == 1


def test_two_banks_bulk_claim_overlapping_filters_never_share_an_entry(engine, committed):
    version, a, b = committed
    res = _race(engine, version, [a, b], lambda s, u: claims.claim_bulk(
        s, u.scope, version, EntryFilter(county="410702"), actor=actor_of(u), now=NOW))
    with Session(engine) as s:
        total = s.scalar(select(func.count()).select_from(Claim))
        distinct = s.scalar(select(func.count(func.distinct(Claim.entity_key))))
    assert total == distinct == sum(res.values()) == 200
