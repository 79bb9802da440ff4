"""Cities generated once per test session (small, so the synth tests stay fast)."""

from __future__ import annotations

import pytest

from shoudai.synth import generate_city

N = 20_000
SEED = 7


@pytest.fixture(scope="session")
def city(tmp_path_factory):
    """Year 1 of a 20k-entity city, with its XLSX variant."""
    return generate_city(N, SEED, tmp_path_factory.mktemp("city_y1"))


@pytest.fixture(scope="session")
def city_next_year(tmp_path_factory):
    """The same city one year on."""
    return generate_city(N, SEED, tmp_path_factory.mktemp("city_y2"), year=2026, xlsx=False)


@pytest.fixture(scope="session")
def small_city(tmp_path_factory):
    """3,000 entities: enough for the XLSX round trip through openpyxl within a second or two."""
    return generate_city(3000, 11, tmp_path_factory.mktemp("small"))
