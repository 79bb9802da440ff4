"""Bulk load of list rows from Arrow into the app database, inside the caller's transaction.

SQLite: through scratch files and INSERT … SELECT (sqlite_load). PostgreSQL: COPY … FROM STDIN, in binary for the
list tables (built column-wise by Arrow, on a second thread that overlaps the server's work), so no Python work per
row.

A new version's list_entry rows on PostgreSQL (migration 0010: one partition per version) go into a bare table made
in this transaction: COPY FREEZE (no later VACUUM: the pages are already all-visible, as the pages' index-only scans
need), written county by county (_in_leaf_order), then the indexes are built by sorting (in parallel where the server
allows), the table analysed (on a smaller sample: ANALYZE_TARGET) and attached under its version, which validates the
version foreign key in one pass. Loading into the indexed table instead costs a B-tree insert per row and index plus
a per-row foreign-key check: 71–77k against 174–191k rows/s, all of the above included (bench/pg_copy_bench.py
--baseline, medians of 3 × 1M rows, production durability settings; the shared 2-core machine's noise alone moved
one invocation's median to 136k). With the code columns compared bytewise (migration 0012) the medians were 189–209k
against 173–190k without; with the uscc index gone too (migration 0013: look-ups by credit code use the key), 227k
and 225k against 203k and 207k at 0012, invocations alternated, every run 216–239k. Where a 1M-row load's ~4.4 s go:
COPY 2.4–2.5 (the server's share; ids from the cached sequence of migration 0011), the three index builds 0.25
(primary key), 0.5 (version, key), 0.9 (county, covering), ANALYZE 0.1, ATTACH 0.12.
Grouping needs every row first: the version's Arrow batches (~250 MB per million entries) are held in memory while
they are sent.
Nothing is visible to other sessions before commit, and a failed load rolls back with the build's transaction.
A version whose partition already holds or held rows (a rebuild) is loaded through its indexes, as before.
"""

from __future__ import annotations

import functools
import io
import itertools
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import BigInteger, Integer, String, Table, select, text
from sqlalchemy.orm import Session

from shoudai.oversight.models import FirstLoan, ListConversion
from shoudai.registry import sqlite_load
from shoudai.registry.models import ListEntry, ListRemoval

COPY_BATCH = 131_072


def bulk_load(
    session: Session,
    table: Table,
    batches: Iterable[pa.RecordBatch],
    *,
    constants: dict[str, object] | None = None,
    rows: int | None = None,
) -> int:
    """Insert every row of `batches` (columns named like `table`'s) plus `constants` into `table`; returns rows.

    `rows`: how many there are, if known (SQLite sizes its scratch files by it)."""
    constants = constants or {}
    conn = session.connection()
    dbapi = conn.connection.driver_connection
    if conn.dialect.name not in ("sqlite", "postgresql"):
        raise ValueError(f"bulk load supports SQLite and PostgreSQL, not {conn.dialect.name}")
    if conn.dialect.name == "sqlite":
        return sqlite_load.load(conn, table, batches, constants, rows)
    if _by_version(table) and "version_id" in constants:
        return _pg_load_version(dbapi, table, batches, constants)
    return _pg_copy(dbapi, table, batches, constants)


def load_parquet(session: Session, table: Table, path: str | Path, constants: dict[str, object]) -> int:
    """Load one Parquet file (written by the build) into `table`."""
    f = pq.ParquetFile(path)
    return bulk_load(session, table, f.iter_batches(batch_size=COPY_BATCH), constants=constants,
                     rows=f.metadata.num_rows)


def _pg_copy(dbapi, table: Table, batches, constants, *, into: str | None = None, freeze: bool = False,
             csv: bool = False) -> int:
    """COPY the rows into `into` (default: `table` itself, whose columns give the types); returns rows.

    Binary COPY where every column is text or an integer (the list tables): the server then parses nothing, a third
    less of its time than CSV for the same rows; any other column type (or `csv`) goes as CSV."""
    it = iter(batches)
    first = next(it, None)
    if first is None:
        return 0
    names = list(constants) + first.schema.names
    kinds = [_binary_kind(table.c[name].type) for name in names]
    binary = all(kinds) and not csv
    options = ("FORMAT binary" if binary else "FORMAT csv") + (", FREEZE" if freeze else "")
    sql = f'COPY {into or table.name} ({", ".join(names)}) FROM STDIN ({options})'
    if binary:
        encode = functools.partial(_binary_rows, kinds=kinds)
    else:
        # CSV: an unquoted empty field is NULL, a quoted one ("") an empty string — exactly as Arrow writes them.
        encode = functools.partial(_csv_rows, opts=pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    total = 0
    with dbapi.cursor() as cur, cur.copy(sql) as copy:
        if binary:
            copy.write(PGCOPY_HEADER)
        for rows, buf in _encoded_ahead(itertools.chain([first], it), names, constants, encode):
            copy.write(buf)
            total += rows
        if binary:
            copy.write(PGCOPY_TRAILER)
    return total


PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
PGCOPY_TRAILER = b"\xff\xff"


def _binary_kind(sql_type) -> str | None:
    if isinstance(sql_type, BigInteger):
        return "int8"
    if isinstance(sql_type, Integer):
        return "int4"
    if isinstance(sql_type, String):  # Text too
        return "text"
    return None


def _csv_rows(batch: pa.RecordBatch, opts) -> memoryview:
    buf = io.BytesIO()
    pacsv.write_csv(batch, buf, opts)
    return buf.getbuffer()


def _binary_rows(batch: pa.RecordBatch, kinds: list[str]) -> pa.Buffer:
    """The batch as COPY BINARY tuples: per row a field count, then per field a length (-1: NULL) and its bytes.

    Built column-wise in Arrow (one join over every column's length prefixes and values), never per row in Python."""
    n = batch.num_rows
    parts: list = [pa.scalar(len(kinds).to_bytes(2, "big"), pa.binary())]
    for col, kind in zip(batch.columns, kinds, strict=True):
        if kind == "text":
            col = col.cast(pa.binary())
            lengths = pc.binary_length(col).fill_null(-1).to_numpy(zero_copy_only=False)
            parts.append(_fixed_width(lengths.astype(">i4").tobytes(), 4, n))
            parts.append(col.fill_null(b"") if col.null_count else col)
        else:
            width = 4 if kind == "int4" else 8
            values = _fixed_width(col.fill_null(0).to_numpy(zero_copy_only=False).astype(f">i{width}").tobytes(),
                                  width, n)
            if col.null_count:
                nulls = pc.is_null(col)
                parts.append(pc.if_else(nulls, pa.scalar(b"\xff\xff\xff\xff"), pa.scalar(width.to_bytes(4, "big"))))
                parts.append(pc.if_else(nulls, pa.scalar(b""), values))
            else:
                parts.append(pa.scalar(width.to_bytes(4, "big"), pa.binary()))
                parts.append(values)
    rows = pc.binary_join_element_wise(*parts, b"")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=n + 1, offset=rows.offset * 4)
    return rows.buffers()[2][int(offsets[0]):int(offsets[-1])]


def _fixed_width(data: bytes, width: int, n: int) -> pa.Array:
    """n binary values of `width` bytes each, over `data` as it is (no copy)."""
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _encoded_ahead(batches: Iterator[pa.RecordBatch], names: list[str], constants,
                   encode) -> Iterator[tuple[int, object]]:
    """(rows, bytes) per batch, encoded on a second thread (Arrow releases the GIL) while COPY sends the last."""
    out: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                for name, value in constants.items():
                    batch = batch.append_column(name, pa.array([value] * batch.num_rows))
                out.put((batch.num_rows, encode(batch.select(names))))
            out.put(None)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            out.put(exc)

    worker = threading.Thread(target=produce, name="copy-encode", daemon=True)
    worker.start()
    try:
        while (item := out.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                out.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def _by_version(table: Table) -> bool:
    return "version_id" in (table.dialect_options["postgresql"].get("partition_by") or "")


def _pg_load_version(dbapi, table: Table, batches, constants) -> int:
    """Load one version's rows into a new leaf of its partition (see the module docstring); returns rows."""
    version = int(constants["version_id"])
    part = f"{table.name}_v{version}"
    with dbapi.cursor() as cur:
        if not _fresh_partition(cur, part):
            return _pg_copy(dbapi, table, batches, constants)
        leaf = f"{part}_1"
        cur.execute(f"CREATE TABLE {leaf} (LIKE {table.name} INCLUDING DEFAULTS, "
                    f"CONSTRAINT {leaf}_version CHECK (version_id = {version}))")
        total = _pg_copy(dbapi, table, _in_leaf_order(batches), constants, into=leaf, freeze=True)
        for ddl in _leaf_indexes(cur, table.name, leaf):
            cur.execute(ddl)
        _analyze(cur, leaf)
        # The CHECK above proves the partition bound, so attaching scans nothing but the empty default leaf.
        cur.execute(f"ALTER TABLE {part} ATTACH PARTITION {leaf} FOR VALUES IN ({version})")
    return total


# A new leaf's rows are written county by county, each county's in the order they come (the build's: entity_key),
# i.e. in the order of the widest index, (version_id, county_code, entity_key) with the page columns included. Its
# build then sorts presorted input: ~1 against ~4 CPU-seconds per million rows, while the narrower key indexes cost
# ~0.6 more each (the heap is no longer in key order): a net ~2 s less per million. Past MAX_GROUPS counties the
# per-county passes would cost more than they save, and the rows go as they come.
GROUP_BY = "county_code"
MAX_GROUPS = 64


def _in_leaf_order(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The rows grouped by GROUP_BY in its sorted order, stable within a group (all batches are read first)."""
    batches = list(batches)
    if not batches or GROUP_BY not in batches[0].schema.names:
        yield from batches
        return
    column = pa.chunked_array([b.column(GROUP_BY) for b in batches])
    values = sorted(pc.unique(column).drop_null().to_pylist())
    if len(values) > MAX_GROUPS:
        yield from batches
        return
    # Each batch's group numbers once (nulls last), then one pass over the batches per group.
    groups = pa.array(values, batches[0].schema.field(GROUP_BY).type)
    numbers = [pc.fill_null(pc.index_in(b.column(GROUP_BY), groups), len(values)) for b in batches]
    for group in range(len(values) + 1):
        for batch, number in zip(batches, numbers, strict=True):
            part = batch.filter(pc.equal(number, group))
            if part.num_rows:
                yield part


# A new leaf's ANALYZE samples 300 × this many rows (the server's default target, 100: 30,000 rows, the leaf's largest
# step after its index builds). Its first queries need the leaf's size and each filter column's common values and
# spread, which 9,000 rows give for a list's few counties, kinds and tiers; the full sample comes with the VACUUM
# (ANALYZE) the build runs after commit (refresh_statistics). Per 1M rows: ~0.1 against ~0.4 s.
ANALYZE_TARGET = 30


def _analyze(cur, leaf: str) -> None:
    """ANALYZE `leaf` with at most ANALYZE_TARGET (a server set lower keeps its own), for this statement only."""
    cur.execute("SELECT current_setting('default_statistics_target')")
    (target,) = cur.fetchone()
    cur.execute("SELECT set_config('default_statistics_target', %s, true)", (str(min(int(target), ANALYZE_TARGET)),))
    cur.execute(f"ANALYZE {leaf}")
    cur.execute("SELECT set_config('default_statistics_target', %s, true)", (target,))


def _fresh_partition(cur, part: str) -> bool:
    """True if `part` was made in this transaction and is still empty (so no other session can see or wait on it).

    This transaction holds ACCESS EXCLUSIVE on the default leaf only if it created it (the version row's trigger);
    a partition from an earlier transaction, or one already loaded, takes the rows through its indexes instead."""
    cur.execute(
        """SELECT count(*) = 1 AND coalesce(bool_and(l.granted), false)
           FROM pg_inherits i
           LEFT JOIN pg_locks l ON l.locktype = 'relation' AND l.relation = i.inhrelid
                                AND l.pid = pg_backend_pid() AND l.mode = 'AccessExclusiveLock'
           WHERE i.inhparent = to_regclass(%s)""", (part,))
    fresh = bool(cur.fetchone()[0])
    if fresh:
        cur.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {part})")
        fresh = bool(cur.fetchone()[0])
    return fresh


def _leaf_indexes(cur, parent: str, leaf: str) -> list[str]:
    """DDL giving `leaf` the parent's keys and indexes, so ATTACH adopts them rather than building them again."""
    cur.execute(
        """SELECT pg_get_indexdef(i.indexrelid), pg_get_constraintdef(c.oid)
           FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
           WHERE i.indrelid = to_regclass(%s) ORDER BY i.indexrelid""", (parent,))
    ddl = []
    for n, (indexdef, constraintdef) in enumerate(cur.fetchall()):
        if constraintdef:
            ddl.append(f"ALTER TABLE {leaf} ADD CONSTRAINT {leaf}_k{n} {constraintdef}")
        else:
            using = indexdef[indexdef.index(" USING "):]
            ddl.append(f"CREATE INDEX {leaf}_i{n} ON {leaf}{using}")
    return ddl


def delete_version_rows(session: Session, version_id: int) -> None:
    """Remove a version's entries and removals (before it is rebuilt).

    The oversight rows that point at those entries follow the rules their foreign keys had before list_entry was
    partitioned (0010): a first loan forgets the entry (SET NULL), a list conversion goes with it (CASCADE)."""
    entries = select(ListEntry.id).where(ListEntry.version_id == version_id)
    session.execute(FirstLoan.__table__.update().where(FirstLoan.list_entry_id.in_(entries)).values(list_entry_id=None))
    session.execute(ListConversion.__table__.delete().where(ListConversion.list_entry_id.in_(entries)))
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
    map is empty): measured 544 ms against ~50 ms for the same county page at 3M entries. A new version's own
    partition needs none of it (COPY FREEZE, analysed in the load); a rebuilt one does, and the whole partitioned
    table's statistics (for queries spanning versions) are gathered only here. SQLite needs nothing.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))
