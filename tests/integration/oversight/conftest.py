"""Shared fixtures for the oversight integration tests."""

from datetime import UTC, datetime

import pytest

from shoudai.audit.actor import Actor


@pytest.fixture
def admin() -> Actor:
    return Actor(username="city.admin", role="city_admin")


@pytest.fixture
def bank_user() -> Actor:
    return Actor(username="icbc.hq", role="bank_hq")


@pytest.fixture
def clock() -> datetime:
    return datetime(2024, 4, 10, 2, 0, tzinfo=UTC)
