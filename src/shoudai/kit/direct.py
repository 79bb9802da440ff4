"""Statements a hot path runs on every request, compiled once per database and executed on the driver's cursor.

Why: for the public need submission's dozen small statements, SQLAlchemy's per-execute step (cache lookup, the
parameter and result set-up, a cursor per statement, finding the session's connection) cost about as much CPU as
the driver's own work. A `Direct` statement is compiled once per dialect by SQLAlchemy itself, so the SQL and the
parameter conversion (SQLite keeps datetimes as text) are exactly what `session.execute` would send; only the step
around it is skipped. It runs in the session's transaction, on a cursor kept with the pooled connection; the
driver's errors are raised as SQLAlchemy's (IntegrityError and so on), as from session.execute.

Not for statements whose parameters expand per call (IN lists), nor for inserts that leave a column to its Python
default: compiling refuses both.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

# session.info: (the transaction, its driver cursor, dialect, connection); a pooled connection's info: its cursor.
_CURSOR = "shoudai.direct.cursor"
_EVERY: weakref.WeakSet[Direct] = weakref.WeakSet()  # every statement made, for compile_all


@dataclass(frozen=True)
class _Compiled:
    sql: str | bytes
    names: tuple[str, ...]  # the parameters in the order of the positional SQL (SQLite's ?, PostgreSQL's $n)
    returns_rows: bool
    fixed: dict[str, Any]  # parameters the statement carries itself (a LIMIT's value)
    binders: dict[str, Any]  # name -> the type's conversion of a value for this driver
    readers: tuple[Any, ...] | None  # per result column, its conversion of a driver value (None: none needed)


class Direct:
    """`statement`, run as `session.execute` would run it, minus SQLAlchemy's per-call work."""

    def __init__(self, statement: ClauseElement, *, column_keys: Sequence[str] | None = None,
                 many: bool = False):
        self.statement, self.column_keys, self.many = statement, column_keys, many
        self._by_dialect: dict[str, _Compiled] = {}
        _EVERY.add(self)

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
        writes = compiled.isinsert or compiled.isupdate or compiled.isdelete
        returns_rows = not writes or bool(getattr(compiled, "effective_returning", None))
        if compiled.positional:
            sql, names = compiled.string, tuple(compiled.positiontup)
        elif dialect.driver == "psycopg":
            sql, names = _numbered(compiled.string)
            sql = sql.encode()  # as psycopg sends it: encoded once here, not per call
        else:
            raise ValueError(f"Direct statements do not support the {dialect.driver} driver")
        return _Compiled(sql, names, returns_rows, fixed, dict(compiled._bind_processors),
                         readers if any(readers) else None)

    def _params(self, c: _Compiled, given: Mapping[str, Any]) -> Any:
        params = {**c.fixed, **given} if c.fixed else dict(given)
        for name, convert in c.binders.items():
            if name in params:
                params[name] = convert(params[name])
        return tuple(params[name] for name in c.names)

    def execute(self, session: Session, params: Mapping[str, Any] | None = None, *, fetch: bool = True
                ) -> list[tuple]:
        """Run once with `params`; the result rows (none for a statement that returns none, or with fetch=False:
        inside `pipeline`, a statement whose rows are not read waits to go with the next)."""
        cursor, dialect = _cursor(session)
        c = self._compiled(dialect)
        values = self._params(c, params or {})
        try:
            cursor.execute(c.sql, values)
            if not (fetch and c.returns_rows):  # known from the statement: asking the cursor costs more
                return []
            rows = cursor.fetchall()
        except dialect.loaded_dbapi.Error as exc:
            raise _wrapped(session, exc, c, values, dialect) from exc
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
        values = [self._params(c, row) for row in rows]
        try:
            cursor.executemany(c.sql, values)
        except dialect.loaded_dbapi.Error as exc:
            raise _wrapped(session, exc, c, values, dialect) from exc


def compile_all(dialect: Dialect) -> int:
    """Compile every Direct statement made so far for `dialect` (a server start: not the first requests); returns
    how many."""
    statements = list(_EVERY)
    for statement in statements:
        statement._compiled(dialect)
    return len(statements)


def _wrapped(session: Session, exc: Exception, c: _Compiled, params: Any, dialect: Dialect) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it from session.execute (IntegrityError and so on), so callers catch
    one family of errors whichever way a statement ran; a lost connection is invalidated, as SQLAlchemy does, so
    the pool never hands it out again."""
    cursor, connection = session.info[_CURSOR][1], session.info[_CURSOR][3]
    lost = dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(exc)
    sql = c.sql.decode() if isinstance(c.sql, bytes) else c.sql
    return DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                               dialect=dialect)


# Up to this many rows go as one multi-row VALUES statement (the driver's executemany costs more per statement).
MULTI_ROW_MAX = 32


class RowInserter:
    """Plain INSERTs (no RETURNING) of rows with the same keys into one table, in the order given."""

    def __init__(self, table: Table, keys: tuple[str, ...]):
        self.table, self.keys = table, keys
        self._one_by_one = Direct(insert(table), column_keys=list(keys), many=True)
        self._by_count: dict[int, Direct] = {}

    def _multi_row(self, n: int) -> Direct:
        found = self._by_count.get(n)
        if found is None:
            columns = [self.table.c[key] for key in self.keys]
            values = [{c.key: bindparam(f"{c.key}_{i}", type_=c.type) for c in columns} for i in range(n)]
            found = self._by_count[n] = Direct(insert(self.table).values(values))
        return found

    def execute_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        if len(rows) > MULTI_ROW_MAX:
            self._one_by_one.execute_many(session, rows)
        elif rows:
            flat = {f"{key}_{i}": row[key] for i, row in enumerate(rows) for key in self.keys}
            self._multi_row(len(rows)).execute(session, flat)


@functools.cache
def insert_rows(table: Table, keys: tuple[str, ...]) -> RowInserter:
    """The RowInserter for `table` and `keys` (one per pair, so each statement is compiled once)."""
    return RowInserter(table, keys)


@contextmanager
def pipeline(session: Session) -> Iterator[None]:
    """On PostgreSQL, the block's Direct statements go out together, one round trip per result read (and one at the
    end) instead of one each; elsewhere a no-op. Only Direct statements may run inside: SQLAlchemy's own expect
    their results at once."""
    cursor, dialect = _cursor(session)
    if dialect.driver != "psycopg":
        yield
        return
    try:
        with cursor.connection.pipeline():
            yield
    except dialect.loaded_dbapi.Error as exc:  # a statement's error surfaces when the pipeline syncs
        raise DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc


def commit_in_pipeline(session: Session) -> None:
    """Inside `pipeline` on PostgreSQL: queue the transaction's COMMIT behind the block's statements, so they all go
    in one round trip; the session's own commit afterwards finds the transaction done and sends nothing. Elsewhere
    nothing: the session commits as usual.

    Why not session.commit() here: SQLAlchemy gives the connection back to the pool as it commits, and another
    thread could take it while this one is still inside the pipeline block."""
    cursor, dialect = _cursor(session)
    if dialect.driver == "psycopg" and cursor.connection.pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF:
        cursor.connection.commit()


_PYFORMAT = re.compile(r"%\((\w+)\)s|%%")


def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """SQLAlchemy's psycopg SQL (%(name)s) as PostgreSQL's own ($1, $2 …), run on a RawCursor: psycopg then has
    nothing to convert per call (it caches the conversion only for statements under 4 KB, and a multi-row insert
    is longer)."""
    names: list[str] = []

    def number(m: re.Match) -> str:
        if m.group(1) is None:
            return "%"
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    return _PYFORMAT.sub(number, sql), tuple(names)


def _cursor(session: Session) -> tuple[Any, Dialect]:
    """A driver cursor on the connection of the session's current transaction (begun here if need be). Kept with
    the pooled connection, so later transactions on it reuse the cursor and the driver's per-cursor type caches."""
    tx = session.get_transaction()
    held = session.info.get(_CURSOR)
    if tx is not None and held is not None and held[0] is tx:
        return held[1], held[2]
    connection = session.connection()  # begins the transaction if none is open
    driver = connection.connection.dbapi_connection
    kept = connection.connection.info.get(_CURSOR)
    if kept is None or kept.connection is not driver:  # a replaced (invalidated) connection gets a new cursor
        kept = psycopg.RawCursor(driver) if connection.dialect.driver == "psycopg" else driver.cursor()
        connection.connection.info[_CURSOR] = kept
    session.info[_CURSOR] = (session.get_transaction(), kept, connection.dialect, connection)
    return kept, connection.dialect
