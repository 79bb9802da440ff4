"""Cursors of the pull feed: they round-trip, and anything else is a BadCursor (a 400), never a database error."""

import base64
from datetime import UTC, datetime

import pytest

from shoudai.bankapi.feed import BadCursor, decode_cursor, encode_cursor
from shoudai.lending.models import NeedBank


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_a_cursor_round_trips_in_utc():
    row = NeedBank(id=42, updated_at=datetime(2026, 3, 2, 9, 30, 0, 123456))  # naive, as SQLite returns it
    assert decode_cursor(encode_cursor(row)) == (datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC), 42)


@pytest.mark.parametrize("cursor", ["", "not-a-cursor", "%%%", _raw("2026-03-02T01:00:00+00:00"),
                                    _raw("yesterday|1"), _raw("2026-03-02T01:00:00+00:00|x"),
                                    _raw("2026-03-02T01:00:00+00:00|" + "9" * 30),
                                    _raw("2026-03-02T01:00:00+00:00|-1"),
                                    _raw("9999-12-31T23:59:59-14:00|1"), "4pyT"])
def test_anything_else_is_a_bad_cursor(cursor):
    with pytest.raises(BadCursor):
        decode_cursor(cursor)
