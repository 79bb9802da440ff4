"""Bulk load of list rows from Arrow into the app database, inside the caller's transaction.

SQLite: executemany in large chunks on the session's own connection. PostgreSQL: COPY … FROM STDIN in CSV, fed by
Arrow's C++ CSV writer, so no Python work per row. Indexes stay in place: rows arrive in entity_key order and a new
version's keys sort after the old ones, so the B-tree inserts are near-appends; dropping and rebuilding the indexes
measured slower on SQLite, barely faster on PostgreSQL, rebuilds every version's rows, and locks the table.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from shoudai.registry.models import ListEntry, ListRemoval

SQLITE_CHUNK = 100_000
COPY_BATCH = 131_072


def bulk_load(
    session: Session,
    table: Table,
    batches: Iterable[pa.RecordBatch],
    *,
    constants: dict[str, object] | None = None,
) -> int:
    """Insert every row of `batches` (columns named like `table`'s) plus `constants` into `table`; returns rows."""
    constants = constants or {}
    conn = session.connection()
    dbapi = conn.connection.driver_connection
    if conn.dialect.name not in ("sqlite", "postgresql"):
        raise ValueError(f"bulk load supports SQLite and PostgreSQL, not {conn.dialect.name}")
    if conn.dialect.name == "sqlite":
        return _sqlite_load(dbapi, table, batches, constants)
    return _pg_copy(dbapi, table, batches, constants)


def load_parquet(session: Session, table: Table, path: str | Path, constants: dict[str, object]) -> int:
    """Load one Parquet file (written by the build) into `table`."""
    f = pq.ParquetFile(path)
    return bulk_load(session, table, f.iter_batches(batch_size=COPY_BATCH), constants=constants)


def _sqlite_load(dbapi, table: Table, batches, constants) -> int:
    cur = dbapi.cursor()
    # A large page cache while loading (safe inside a transaction); restored after, as the connection is pooled.
    (old_cache,) = cur.execute("PRAGMA cache_size").fetchone()
    cur.execute("PRAGMA cache_size = -262144")
    total = 0
    sql = None
    try:
        for batch in batches:
            if sql is None:
                cols = list(constants) + batch.schema.names
                sql = (f'INSERT INTO {table.name} ({", ".join(cols)}) '
                       f'VALUES ({", ".join("?" * len(cols))})')
            for chunk in _chunks(batch, SQLITE_CHUNK):
                columns = [c.to_pylist() for c in chunk.columns]
                fixed = [[v] * chunk.num_rows for v in constants.values()]
                cur.executemany(sql, zip(*fixed, *columns, strict=True))
                total += chunk.num_rows
    finally:
        cur.execute(f"PRAGMA cache_size = {int(old_cache)}")
        cur.close()
    return total


def _chunks(batch: pa.RecordBatch, size: int) -> Iterator[pa.RecordBatch]:
    for start in range(0, batch.num_rows, size):
        yield batch.slice(start, size)


def _pg_copy(dbapi, table: Table, batches, constants) -> int:
    it = iter(batches)
    first = next(it, None)
    if first is None:
        return 0
    names = list(constants) + first.schema.names
    # CSV: an unquoted empty field is NULL, a quoted one ("") an empty string — exactly as Arrow writes them.
    sql = f'COPY {table.name} ({", ".join(names)}) FROM STDIN (FORMAT csv)'
    opts = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    total = 0
    with dbapi.cursor() as cur, cur.copy(sql) as copy:
        for batch in itertools.chain([first], it):
            for name, value in constants.items():
                batch = batch.append_column(name, pa.array([value] * batch.num_rows))
            buf = io.BytesIO()
            pacsv.write_csv(batch.select(names), buf, opts)
            copy.write(buf.getbuffer())
            total += batch.num_rows
    return total


def delete_version_rows(session: Session, version_id: int) -> None:
    """Remove a version's entries and removals (before it is rebuilt)."""
    for model in (ListEntry, ListRemoval):
        session.execute(model.__table__.delete().where(model.__table__.c.version_id == version_id))


def dump_parquet(session: Session, model, version_id: int, columns: Sequence[str], path: str | Path) -> Path:
    """Write a stored version's rows back to Parquet (when the data dir lost the file the build wrote)."""
    tbl = model.__table__
    stmt = select(*[tbl.c[c] for c in columns]).where(tbl.c.version_id == version_id)
    result = session.execute(stmt.execution_options(yield_per=COPY_BATCH))
    int_cols = {c for c in columns if c == "first_listed_year"}
    schema = pa.schema([(c, pa.int32() if c in int_cols else pa.string()) for c in columns])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, schema) as writer:
        for part in result.partitions():
            cols = list(zip(*part, strict=True)) if part else [[] for _ in columns]
            writer.write_table(pa.table([pa.array(list(col), f.type) for col, f in zip(cols, schema, strict=True)],
                                        schema=schema))
    return path


def refresh_statistics(engine, tables: Sequence[str] = ("list_entry", "list_removal")) -> None:
    """After a version is committed, on PostgreSQL: VACUUM (ANALYZE) the list tables.

    Until (auto)vacuum has run, the pages' index-only scans must visit the table for every fresh row (the visibility
    map is empty): measured 544 ms against ~50 ms for the same county page at 3M entries. SQLite needs nothing.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))
