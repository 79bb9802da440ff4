"""Outreach fixtures: a sample list version and users of two banks and two counties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shoudai.accounts import roles
from shoudai.accounts.models import User
from shoudai.audit.actor import Actor
from shoudai.outreach import sample

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def make_user(session, username, role, *, counties="", bank=None, branch=None) -> User:
    u = User(username=username, display_name=username, role=role, county_codes=counties, bank_code=bank,
             branch_code=branch, password_hash="x", password_changed_at=NOW, created_at=NOW, created_by="t",
             updated_at=NOW, disabled=False)
    session.add(u)
    session.flush()
    return u


def actor_of(u: User) -> Actor:
    return Actor(u.username, u.role, u.id, "127.0.0.1")


@pytest.fixture
def version(session):
    return sample.add_version(session, 2026, 20)


@pytest.fixture
def people(session):
    return {
        "admin": make_user(session, "admin1", roles.CITY_ADMIN),
        "county": make_user(session, "county1", roles.COUNTY_OFFICER, counties="410702"),
        "icbc": make_user(session, "icbc_hq", roles.BANK_HQ, bank="ICBC"),
        "ccb": make_user(session, "ccb_hq", roles.BANK_HQ, bank="CCB"),
        "icbc_lo": make_user(session, "icbc_lo", roles.LOAN_OFFICER, bank="ICBC", branch="ICBC-01"),
        "icbc_lo2": make_user(session, "icbc_lo2", roles.LOAN_OFFICER, bank="ICBC", branch="ICBC-02"),
        "ccb_lo": make_user(session, "ccb_lo", roles.LOAN_OFFICER, bank="CCB", branch="CCB-01"),
    }
