"""Write-behind rows: held until the block ends, then inserted in order; dropped if the block raises."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from shoudai.db import session_scope
from shoudai.kit.writebehind import hold, write_behind
from shoudai.lending.models import RateBucket

T = RateBucket.__table__
AT = datetime(2026, 3, 2, tzinfo=UTC)


def count(s):
    return s.scalar(select(func.count()).select_from(T))


def test_held_rows_arrive_together_in_order(engine):
    with session_scope(engine) as s:
        with write_behind(s):
            for i in range(5):
                assert hold(s, T, {"key": f"k{i}", "window_start": AT, "hits": i})
            with write_behind(s):  # a nested block joins the outer one
                assert hold(s, T, {"key": "k5", "window_start": AT, "hits": 5})
            assert count(s) == 0  # nothing written yet
        assert count(s) == 6
    with session_scope(engine) as s:
        assert s.execute(select(T.c.key, T.c.hits).order_by(T.c.hits)).all() == [(f"k{i}", i) for i in range(6)]


def test_a_block_that_raises_writes_nothing_and_outside_a_block_hold_declines(engine):
    with pytest.raises(RuntimeError), session_scope(engine) as s, write_behind(s):
        hold(s, T, {"key": "lost", "window_start": AT, "hits": 1})
        raise RuntimeError("the step failed")
    with session_scope(engine) as s:
        assert count(s) == 0
        assert hold(s, T, {"key": "x", "window_start": AT, "hits": 1}) is False
        assert count(s) == 0
