"""List pages' queries: key-ordered pages found by key first, and a count that stops at a cap ("10000+")."""

from __future__ import annotations

import pytest

from shoudai.outreach import claims, queries
from shoudai.outreach.queries import EntryFilter, Total
from shoudai.registry.models import ListEntry

from .conftest import NOW, actor_of

COUNTY_KEYS = [f"S410702{i:06d}" for i in range(20)]  # the sample version: 20 entries per county, key order


@pytest.fixture
def cap15(monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 15)


def keys_of(rows) -> list[str]:
    return [e.entity_key for e in rows]


def test_total_prints_exact_or_capped():
    assert str(Total(20)) == "20" and Total(20).exact
    capped = Total(10_000, exact=False)
    assert str(capped) == "10000+" and f"{capped}" == "10000+" and not capped.exact
    assert capped == 10_000 and min(capped, 10_000) == 10_000  # still an int: pages and the bulk button use it


def test_under_the_cap_the_count_is_exact(session, version, people):
    rows, total = queries.list_entries(session, people["county"].scope, version.id, EntryFilter(), per_page=5)
    assert keys_of(rows) == COUNTY_KEYS[:5]
    assert total == 20 and total.exact and str(total) == "20"


def test_over_the_cap_the_count_stops_and_says_so(session, version, people, cap15):
    scope = people["county"].scope
    rows, total = queries.list_entries(session, scope, version.id, EntryFilter(), per_page=5)
    assert keys_of(rows) == COUNTY_KEYS[:5]
    assert not total.exact and total == 15 and str(total) == "15+"
    # The city admin sees both counties (40 entries): also capped.
    _, city = queries.list_entries(session, people["admin"].scope, version.id, EntryFilter(), per_page=5)
    assert not city.exact and str(city) == "15+"


def test_a_narrower_filter_under_the_cap_is_exact_again(session, version, people, cap15):
    f = EntryFilter(tier="A")  # i % 3 == 0: 7 of the county's 20
    rows, total = queries.list_entries(session, people["county"].scope, version.id, f, per_page=5)
    assert keys_of(rows) == [k for i, k in enumerate(COUNTY_KEYS) if i % 3 == 0][:5]
    assert total.exact and total == 7


def test_the_last_page_knows_the_exact_total_without_counting(session, version, people, cap15):
    rows, total = queries.list_entries(session, people["county"].scope, version.id, EntryFilter(), page=4,
                                       per_page=6)
    assert keys_of(rows) == COUNTY_KEYS[18:]
    assert total.exact and total == 20


def test_pages_walk_every_entry_once_in_key_order(session, version, people):
    scope, f = people["county"].scope, EntryFilter(address="胜利路")  # i % 4 != 0: 15 entries
    seen = []
    for page in range(1, 5):
        rows, total = queries.list_entries(session, scope, version.id, f, page=page, per_page=4)
        seen += keys_of(rows)
        assert total == 15 and total.exact
    assert seen == [k for i, k in enumerate(COUNTY_KEYS) if i % 4]


def test_past_the_end_and_no_match(session, version, people):
    scope = people["county"].scope
    assert queries.list_entries(session, scope, version.id, EntryFilter(), page=9, per_page=5) == ([], 20)
    rows, total = queries.list_entries(session, scope, version.id, EntryFilter(address="不存在的路"))
    assert rows == [] and total == 0 and total.exact
    # LIKE's wildcards in the typed text are literal characters, not "anything".
    for text in ("%", "_", "/", "\\", "胜利路%"):
        assert queries.list_entries(session, scope, version.id, EntryFilter(address=text)) == ([], 0)
    rows, _ = queries.list_entries(session, scope, version.id, EntryFilter(address="样本便利店1"))
    assert keys_of(rows) == [COUNTY_KEYS[i] for i in (1, 11, 13, 15, 17, 19)]  # the name matches too
    # Another county's filter stays out of scope however it is asked.
    assert queries.list_entries(session, scope, version.id, EntryFilter(county="410703")) == ([], 0)


def test_pool_pages_skip_claimed_entries_and_cap_the_count(session, version, people, cap15):
    icbc, ccb = people["icbc"], people["ccb"]
    f = EntryFilter(county="410702")
    assert claims.claim_bulk(session, icbc.scope, version, f, actor=actor_of(icbc), now=NOW, limit=8) == 8
    rows, total = queries.pool(session, ccb.scope, version.id, f, NOW, per_page=5)
    assert keys_of(rows) == COUNTY_KEYS[8:13]  # the first 8 keys are ICBC's now
    assert total.exact and total == 12
    rows, total = queries.pool(session, ccb.scope, version.id, EntryFilter(), NOW, per_page=5)
    assert not total.exact and str(total) == "15+"  # 32 unclaimed in both counties


def test_bank_claims_count_through_the_joins(session, version, people, cap15):
    icbc = people["icbc"]
    claims.claim_bulk(session, icbc.scope, version, EntryFilter(county="410702"), actor=actor_of(icbc), now=NOW,
                      limit=12)
    rows, total = queries.bank_claims(session, icbc.scope, NOW, per_page=5)
    assert len(rows) == 5 and total.exact and total == 12
    assert queries.bank_claims(session, people["ccb"].scope, NOW, per_page=5) == ([], 0)


def test_several_counties_merge_into_one_key_order(session, version, people):
    from shoudai.accounts import roles

    from .conftest import make_user

    both = make_user(session, "county2", roles.COUNTY_OFFICER, counties="410703,410702").scope
    assert set(queries.split_counties(both, EntryFilter())) == {"410702", "410703"}
    assert queries.split_counties(both, EntryFilter(county="410702")) == ()  # one county picked: one index range
    # A 410703 business whose key sorts among 410702's: the merged order must interleave the counties.
    session.add(ListEntry(version_id=version.id, entity_key="S410702000004X", list_kind="sme", name="卫滨插队商贸有限公司",
                          entity_kind="enterprise", county_code="410703", tier="B", change="new",
                          first_listed_year=2026, reasons="-"))
    session.flush()
    f = EntryFilter(tier="B")  # i % 3 == 1: 7 per county, and the one above
    expected = sorted(e.entity_key for e in queries.list_entries(session, people["admin"].scope, version.id, f,
                                                                 per_page=100)[0])
    assert len(expected) == 15 and expected.index("S410702000004X") == 2
    seen = []
    for page in (1, 2, 3):
        rows, total = queries.list_entries(session, both, version.id, f, page=page, per_page=5)
        seen += keys_of(rows)
        assert total == 15 and total.exact
    assert seen == expected
    # A bank serving both counties: the pool merges the same way, without the claimed keys.
    bank = make_user(session, "bank2", roles.BANK_HQ, counties="410703,410702", bank="BOC")
    icbc = people["icbc"]
    claims.claim_bulk(session, icbc.scope, version, f, actor=actor_of(icbc), now=NOW, limit=3)
    rows, total = queries.pool(session, bank.scope, version.id, f, NOW, per_page=20)
    assert keys_of(rows) == expected[3:] and total == 12
