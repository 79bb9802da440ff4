"""Helpers for account tests: a fixed clock and a factory for users."""

from datetime import UTC, datetime

import pytest

from shoudai.accounts import roles
from shoudai.accounts.scope import ScopeSpec
from shoudai.accounts.service import create_user
from shoudai.audit.actor import Actor

T0 = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
PASSWORD = "Xinxiang-2026"
ADMIN = Actor("root-admin", roles.CITY_ADMIN, user_id=None, source="10.0.0.1")


@pytest.fixture
def make_user(session):
    def make(username="zhang", role=roles.COUNTY_OFFICER, scope=None, **kw):
        scope = scope or ScopeSpec(county_codes=("410702",))
        return create_user(session, actor=ADMIN, username=username, display_name=kw.pop("display_name", "张三"),
                           role=role, scope=scope, password=kw.pop("password", PASSWORD), now=kw.pop("now", T0), **kw)

    return make
