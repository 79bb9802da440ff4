"""Bulk load of Arrow rows into a SQLite table, inside the caller's transaction: scratch files, then INSERT … SELECT.

Binding every value through the sqlite3 module's executemany cost more than SQLite's own work of storing the rows.
Instead ADBC (its own SQLite, binding the Arrow columns in C) writes the rows into scratch database files (no
journal, no indexes), and the session's connection attaches each one and copies it in with one INSERT … SELECT.
A second thread writes the next scratch file while the last one is copied, so the two halves overlap on two cores.
Each file is written whole and closed before the session's connection opens it: never two SQLite libraries on one
file at once. bench/sqlite_store_bench.py, 1.09M entries, medians of 3 with commit: 5.96 s, against 10.79 s row by
row through executemany and 3.87 s for SQLite's own INSERT … SELECT from a table written beforehand (1.54× against
2.93× that floor). bench/lists_bench.py at 10M entities (5.46M entries), medians of 3: the store step 46.4 → 18.5 s;
the commit after it 6.8 → 12.8 s (the WAL checkpoint now writes out what the slower load had left the disk time to
write in the background), so 53.2 → 31.3 s for both.

A scratch file stays attached until the caller's transaction ends (SQLite will not detach a database a transaction
has open): db.attach_until_checkin detaches it when the connection goes back to the pool. Its directory entry goes
at once, the disk space with the detach. A process that dies mid-load leaves its scratch directory behind; a later
load removes it once it is a day old (ABANDONED_AFTER_S).
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Table

from shoudai.db import attach_until_checkin

# The rows go in up to MAX_SCRATCH_FILES files of equal size (when the caller knows how many rows), at least
# MIN_SCRATCH_ROWS each; the last file takes what remains. More files overlap more of the work (the first one is
# copied only once written), but each stays attached until the commit and SQLite allows ten attached databases: a
# build loads its entries and its removals in one transaction.
MAX_SCRATCH_FILES = 4
MIN_SCRATCH_ROWS = 250_000
CACHE_KIB = 262_144  # the session connection's page cache while copying (its own setting is restored after)
SCRATCH_PREFIX = ".bulk-"
# A scratch directory untouched this long was left by a process that died mid-load (a live one changes every few
# seconds): the next load removes it.
ABANDONED_AFTER_S = 24 * 3600


def load(conn, table: Table, batches: Iterable[pa.RecordBatch], constants: dict[str, object],
         rows: int | None = None) -> int:
    """Insert the rows of `batches` plus `constants` into `table` through `conn` (a SQLAlchemy Connection).

    `rows`, if known, is how many there are: the scratch files are sized by it."""
    it = iter(batches)
    first = next(it, None)
    if first is None:
        return 0
    dbapi = conn.connection.driver_connection
    parent = _scratch_parent(dbapi)
    _remove_abandoned(parent)
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=parent))
    per_file = max(MIN_SCRATCH_ROWS, -(-(rows or 0) // MAX_SCRATCH_FILES))
    writer = _ScratchWriter(scratch, first, it, per_file)
    cur = dbapi.cursor()
    (old_cache,) = cur.execute("PRAGMA cache_size").fetchone()
    cur.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    cols = ", ".join(first.schema.names)
    total = 0
    try:
        writer.start()
        while (part := writer.next_file()) is not None:
            path, written = part
            alias = attach_until_checkin(conn, path)
            path.unlink()  # readable through the attachment until the detach
            # The constants as parameters; the rows in the file's order (the build's), so the ids follow it.
            cur.execute(f"INSERT INTO {table.name} ({', '.join([*constants, cols])}) "
                        f"SELECT {''.join('?, ' for _ in constants)}{cols} FROM {alias}.rows ORDER BY rowid",
                        tuple(constants.values()))
            total += written
    finally:
        writer.stop()
        cur.execute(f"PRAGMA cache_size = {int(old_cache)}")
        cur.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return total


def _scratch_parent(dbapi) -> str | None:
    """Next to the app's database file (its disk has room for the rows); the temp dir for an in-memory one."""
    for _, name, file in dbapi.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return str(Path(file).parent)
    return None


def _remove_abandoned(parent: str | None) -> None:
    directory = Path(parent or tempfile.gettempdir())
    now = time.time()
    for old in directory.glob(SCRATCH_PREFIX + "*"):
        try:
            if old.is_dir() and now - old.stat().st_mtime > ABANDONED_AFTER_S:
                shutil.rmtree(old, ignore_errors=True)
        except FileNotFoundError:  # another load's clean-up got there first
            continue


class _ScratchWriter:
    """A thread writing the batches into numbered scratch files, handing each over once it is closed."""

    def __init__(self, directory: Path, first: pa.RecordBatch, rest: Iterator[pa.RecordBatch], per_file: int):
        self.directory = directory
        self.per_file = per_file
        self.schema = first.schema
        self.pending: pa.RecordBatch | None = first
        self.rest = rest
        self.ready: queue.Queue = queue.Queue(maxsize=1)
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sqlite-scratch", daemon=True)
        self.failure: BaseException | None = None

    def start(self) -> None:
        self.thread.start()

    def next_file(self) -> tuple[Path, int] | None:
        """The next closed file (path, rows), or None when all are written; re-raises the writer's error."""
        item = self.ready.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def stop(self) -> None:
        self.halt.set()
        while self.thread.is_alive():  # unblock a writer waiting to hand over a file nobody will take
            try:
                self.ready.get_nowait()
            except queue.Empty:
                self.thread.join(0.05)

    def _run(self) -> None:
        try:
            for n in range(MAX_SCRATCH_FILES):
                if self.pending is None or self.halt.is_set():
                    break
                path = self.directory / f"part{n}.sqlite"
                rows = self._write(path, None if n == MAX_SCRATCH_FILES - 1 else self.per_file)
                self.ready.put((path, rows))
            self.ready.put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the loading thread, which raises it
            self.ready.put(self.failure or exc)

    def _batches(self, limit: int | None) -> Iterator[pa.RecordBatch]:
        """Batches up to `limit` rows (whole batches; None: all), leaving the next one pending."""
        taken = 0
        while self.pending is not None and (limit is None or taken < limit):
            if self.halt.is_set():
                raise RuntimeError("bulk load abandoned")
            batch, taken = self.pending, taken + self.pending.num_rows
            try:
                self.pending = next(self.rest, None)
            except Exception as exc:
                self.failure = exc  # ADBC reports it as its own error: keep the real one for the caller
                raise
            yield batch

    def _write(self, path: Path, limit: int | None) -> int:
        # ADBC's low-level API: its DB-API module imports pyarrow.dataset (and pandas where installed), ~1 s.
        import adbc_driver_manager as adbc
        import adbc_driver_sqlite

        reader = pa.RecordBatchReader.from_batches(self.schema, self._batches(limit))
        with adbc_driver_sqlite.connect(str(path)) as db, adbc.AdbcConnection(db) as side:
            with adbc.AdbcStatement(side) as pragmas:
                for pragma in ("journal_mode = OFF", "synchronous = OFF"):  # a scratch file: nothing to recover
                    pragmas.set_sql_query(f"PRAGMA {pragma}")
                    pragmas.execute_update()
            with adbc.AdbcStatement(side) as ingest:
                ingest.set_options(**{adbc.StatementOptions.INGEST_TARGET_TABLE.value: "rows",
                                      adbc.StatementOptions.INGEST_MODE.value: adbc.INGEST_OPTION_MODE_CREATE})
                ingest.bind_stream(reader)
                return ingest.execute_update()
