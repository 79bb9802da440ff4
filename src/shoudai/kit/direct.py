"""Statements a hot path runs on every request, compiled once per database and executed on the driver's cursor.

Why: for the public need submission's dozen small statements, SQLAlchemy's per-execute step (cache lookup, the
parameter and result set-up, a cursor per statement, finding the session's connection) cost about as much CPU as
the driver's own work. A `Direct` statement is compiled once per dialect by SQLAlchemy itself, so the SQL and the
parameter conversion (SQLite keeps datetimes as text) are exactly what `session.execute` would send; only the step
around it is skipped. It runs in the session's transaction, on one cursor kept for that transaction.

Not for statements whose parameters expand per call (IN lists), nor for inserts that leave a column to its Python
default: compiling refuses both.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

_CURSOR = "shoudai.direct.cursor"  # session.info key: (the transaction, the driver cursor used in it)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional drivers (SQLite): the parameters in order; None: by name
    fixed: dict[str, Any]  # parameters the statement carries itself (a LIMIT's value)
    binders: dict[str, Any]  # name -> the type's conversion of a value for this driver
    readers: tuple[Any, ...] | None  # per result column, its conversion of a driver value (None: none needed)


class Direct:
    """`statement`, run as `session.execute` would run it, minus SQLAlchemy's per-call work."""

    def __init__(self, statement: ClauseElement, *, column_keys: Sequence[str] | None = None,
                 many: bool = False):
        self.statement, self.column_keys, self.many = statement, column_keys, many
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys, for_executemany=self.many)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("Direct statements cannot expand parameters per call")
        defaulted = [getattr(c, "key", str(c)) for c in getattr(compiled, "insert_prefetch", ())]
        if defaulted:  # SQLAlchemy would compute these per call: the caller gives them instead
            raise ValueError(f"Direct insert: give the columns with Python defaults too: {', '.join(defaulted)}")
        fixed = {name: bind.value for name, bind in compiled.binds.items()
                 if not bind.required and bind.callable is None}
        readers = tuple(col[3]._cached_result_processor(dialect, None) for col in compiled._result_columns)
        return _Compiled(compiled.string, tuple(compiled.positiontup) if compiled.positional else None, fixed,
                         dict(compiled._bind_processors), readers if any(readers) else None)

    def _params(self, c: _Compiled, given: Mapping[str, Any]) -> Any:
        params = {**c.fixed, **given} if c.fixed else dict(given)
        for name, convert in c.binders.items():
            if name in params:
                params[name] = convert(params[name])
        return params if c.names is None else tuple(params[name] for name in c.names)

    def execute(self, session: Session, params: Mapping[str, Any] | None = None) -> list[tuple]:
        """Run once with `params`; the result rows (an empty list for a statement that returns none)."""
        cursor, dialect = _cursor(session)
        c = self._compiled(dialect)
        cursor.execute(c.sql, self._params(c, params or {}))
        if cursor.description is None:
            return []
        rows = cursor.fetchall()
        if c.readers is None:
            return rows
        return [tuple(value if read is None else read(value) for read, value in zip(c.readers, row, strict=True))
                for row in rows]

    def execute_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per row (the driver batches them); returns nothing."""
        if not rows:
            return
        cursor, dialect = _cursor(session)
        c = self._compiled(dialect)
        cursor.executemany(c.sql, [self._params(c, row) for row in rows])


@functools.cache
def insert_rows(table: Table, keys: tuple[str, ...]) -> Direct:
    """A plain INSERT of `keys` into `table` for `execute_many` (no RETURNING); one per table and keys."""
    statement: Insert = insert(table)
    return Direct(statement, column_keys=list(keys), many=True)


def _cursor(session: Session) -> tuple[Any, Dialect]:
    """The driver cursor of the session's current transaction (begun here if need be), kept for its length."""
    tx = session.get_transaction()
    held = session.info.get(_CURSOR)
    if tx is not None and held is not None and held[0] is tx:
        return held[1], held[2]
    connection = session.connection()  # begins the transaction if none is open
    cursor = connection.connection.dbapi_connection.cursor()
    session.info[_CURSOR] = (session.get_transaction(), cursor, connection.dialect)
    return cursor, connection.dialect
