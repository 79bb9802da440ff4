"""stale_versions: which years' new/carried/removed were measured against a version rebuilt or built since."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from shoudai.registry.lists import StaleVersion, stale_versions


def _v(id_: int, year: int, previous: int | None, hour: int, aware: bool = True):
    at = datetime(2026, 3, 1, hour, tzinfo=UTC if aware else None)
    return SimpleNamespace(id=id_, year=year, previous_version_id=previous, built_at=at)


def test_years_built_in_order_are_current():
    assert stale_versions([_v(1, 2024, None, 1), _v(2, 2025, 1, 2), _v(3, 2026, 2, 3)]) == []


def test_a_rebuilt_year_makes_only_the_next_one_stale():
    # 2025 rebuilt at 09:00, after 2026 (03:00) was compared with its old rows; 2024 and 2025 themselves are fine.
    versions = [_v(3, 2026, 2, 3), _v(1, 2024, None, 1), _v(2, 2025, 1, 9)]
    assert stale_versions(versions) == [StaleVersion(2026, 2025)]


def test_a_year_built_in_between_makes_the_later_one_stale():
    # 2026 was compared with 2024; then 2025 was built: 2026 should now be compared with 2025.
    versions = [_v(1, 2024, None, 1), _v(3, 2026, 1, 2), _v(2, 2025, 1, 3)]
    assert stale_versions(versions) == [StaleVersion(2026, 2025)]


def test_times_without_a_zone_are_read_as_utc():
    # SQLite hands stored times back naive; comparing them with an aware one must neither raise nor misjudge.
    assert stale_versions([_v(1, 2025, None, 9, aware=False), _v(2, 2026, 1, 3)]) == [StaleVersion(2026, 2025)]
    assert stale_versions([_v(1, 2025, None, 1, aware=False), _v(2, 2026, 1, 3)]) == []
