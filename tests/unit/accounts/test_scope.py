"""Scope: allows_* answers and query filters that really filter rows."""

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from shoudai.accounts import roles
from shoudai.accounts.scope import Scope, ScopeError, ScopeSpec, parse_codes

md = MetaData()
rows = Table("t", md, Column("id", Integer, primary_key=True), Column("county", String), Column("bank", String),
             Column("branch", String), Column("uscc", String))
DATA = [
    (1, "410702", "ICBC", "ICBC-01", "U1"),
    (2, "410703", "ICBC", "ICBC-02", "U2"),
    (3, "410702", "ABC", "ABC-01", "U3"),
]


@pytest.fixture(scope="module")
def conn():
    eng = create_engine("sqlite://")
    md.create_all(eng)
    with eng.begin() as c:
        c.execute(insert(rows), [dict(zip(["id", "county", "bank", "branch", "uscc"], r)) for r in DATA])
    with eng.connect() as c:
        yield c


def ids(conn, clause):
    return sorted(conn.scalars(select(rows.c.id).where(clause)))


def test_city_sees_all(conn):
    s = Scope(roles.CITY_ADMIN)
    assert ids(conn, s.county_filter(rows.c.county)) == [1, 2, 3]
    assert ids(conn, s.bank_filter(rows.c.bank)) == [1, 2, 3]


def test_county_officer_only_its_counties(conn):
    s = Scope(roles.COUNTY_OFFICER, county_codes=("410702",))
    assert ids(conn, s.county_filter(rows.c.county)) == [1, 3]
    assert ids(conn, s.bank_filter(rows.c.bank)) == []
    assert s.allows_county("410702") and not s.allows_county("410703")
    assert ids(conn, Scope(roles.COUNTY_OFFICER).county_filter(rows.c.county)) == []


def test_bank_hq_only_its_bank(conn):
    s = Scope(roles.BANK_HQ, bank_code="ICBC")
    assert ids(conn, s.bank_filter(rows.c.bank)) == [1, 2]
    assert s.allows_bank("ICBC") and not s.allows_bank("ABC")
    assert ids(conn, s.county_filter(rows.c.county)) == [1, 2, 3]  # no service area set: whole city
    area = Scope(roles.BANK_HQ, bank_code="ICBC", county_codes=("410703",))
    assert ids(conn, area.county_filter(rows.c.county)) == [2]


def test_loan_officer_only_its_branch(conn):
    s = Scope(roles.LOAN_OFFICER, bank_code="ICBC", branch_code="ICBC-01")
    assert ids(conn, s.bank_filter(rows.c.bank) & s.branch_filter(rows.c.branch)) == [1]


def test_assignee_filter(conn):
    officer = Scope(roles.LOAN_OFFICER, bank_code="ICBC", branch_code="ICBC-01", user_id=2)
    assert ids(conn, officer.assignee_filter(rows.c.id)) == [2]
    assert ids(conn, Scope(roles.LOAN_OFFICER).assignee_filter(rows.c.id)) == []
    assert ids(conn, Scope(roles.BANK_HQ, bank_code="ICBC").assignee_filter(rows.c.id)) == [1, 2, 3]
    assert ids(conn, Scope(roles.COUNTY_OFFICER, county_codes=("410702",)).assignee_filter(rows.c.id)) == []


def test_enterprise_only_itself(conn):
    s = Scope(roles.ENTERPRISE, enterprise_uscc="U3")
    assert ids(conn, s.enterprise_filter(rows.c.uscc)) == [3]
    assert ids(conn, s.county_filter(rows.c.county)) == []
    assert s.allows_enterprise("U3") and not s.allows_enterprise("U1")
    assert not Scope(roles.COUNTY_OFFICER, county_codes=("410702",)).allows_enterprise("U1")


def test_clerk_sees_no_list_rows(conn):
    assert ids(conn, Scope(roles.CENTRE_CLERK).county_filter(rows.c.county)) == []


def test_spec_validation_per_role():
    assert ScopeSpec(county_codes=("410702",)).validated(roles.CITY_ADMIN) == ScopeSpec()
    with pytest.raises(ScopeError):
        ScopeSpec().validated(roles.COUNTY_OFFICER)
    with pytest.raises(ScopeError):
        ScopeSpec(county_codes=("41070",)).validated(roles.COUNTY_OFFICER)
    with pytest.raises(ScopeError):
        ScopeSpec(bank_code="ICBC").validated(roles.LOAN_OFFICER)
    with pytest.raises(ScopeError):
        ScopeSpec(enterprise_uscc="123").validated(roles.ENTERPRISE)
    with pytest.raises(ScopeError):
        ScopeSpec().validated("root")
    spec = ScopeSpec(bank_code=" ICBC ", enterprise_uscc="X" * 18).validated(roles.BANK_HQ)
    assert spec.bank_code == "ICBC" and spec.enterprise_uscc is None


def test_parse_codes():
    assert parse_codes(" 410703，410702, ,410702") == ("410702", "410703")
    assert parse_codes(None) == ()
