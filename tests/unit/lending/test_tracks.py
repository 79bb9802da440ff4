"""A new track as a plain object (what the public submission inserts) has the very column values of the ORM row."""

from datetime import UTC, datetime

from sqlalchemy import inspect

from shoudai.kit.calendar import WorkCalendar
from shoudai.lending.models import NeedBank
from shoudai.lending.tracks import COLUMN_DEFAULTS, new_plain_row, new_row

AT = datetime(2026, 9, 30, 9, 15, tzinfo=UTC)


def test_a_plain_track_has_every_column_as_the_orm_row_would_insert_it():
    cal = WorkCalendar()
    orm = new_row(7, "ICBC", at=AT, cal=cal, routed_by="chosen")
    plain = new_plain_row(7, "ICBC", at=AT, cal=cal, routed_by="chosen")
    given = inspect(orm).dict
    expected = {key: given.get(key, default) for key, default in COLUMN_DEFAULTS.items()}
    assert vars(plain) == expected
    assert set(COLUMN_DEFAULTS) == {c.key for c in NeedBank.__table__.c}
    assert plain.stage == "pushed" and plain.answer_due_at > AT and plain.id is None
