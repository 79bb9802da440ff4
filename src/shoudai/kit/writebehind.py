"""Rows a request writes and never reads back (timeline events, outbox messages), held and inserted together.

Why: a submission writes several such rows at different steps; through the ORM each step's flush sent its own
INSERT. Inside `write_behind`, `hold` keeps them and the block's end sends one INSERT per table, in the order held.
Rows of a block that raises are dropped with its transaction. Outside a block, `hold` declines and the caller
writes as usual.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from shoudai.kit.direct import insert_rows

_KEY = "shoudai.write_behind"


Held = dict[Table, list[dict[str, Any]]]


@contextmanager
def write_behind(session: Session) -> Iterator[None]:
    """Hold the block's `hold` rows; insert them when it ends without error. Nested blocks join the outer one."""
    with held_rows(session) as pending:
        yield
    insert_held(session, pending)


@contextmanager
def held_rows(session: Session) -> Iterator[Held]:
    """Hold the block's `hold` rows and give them to the caller, who inserts them (insert_held) when it chooses.
    Nested blocks join the outer one (and give an empty hold: the outer block's owner inserts)."""
    if _KEY in session.info:
        yield {}
        return
    pending: Held = {}
    session.info[_KEY] = pending
    try:
        yield pending
    finally:
        del session.info[_KEY]


def insert_held(session: Session, pending: Held) -> None:
    """One INSERT per table and run of keys, in the order held."""
    for table, rows in pending.items():
        for keys, run in itertools.groupby(rows, key=tuple):  # a table's rows share their keys: one run each
            insert_rows(table, keys).execute_many(session, list(run))


def hold(session: Session, table: Table, row: dict[str, Any]) -> bool:
    """Keep `row` for `table` until the open block ends; False (nothing kept) when no block is open."""
    pending = session.info.get(_KEY)
    if pending is None:
        return False
    pending.setdefault(table, []).append(row)
    return True
