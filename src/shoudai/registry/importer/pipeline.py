"""One file through DuckDB: read, validate and normalise (validate.stage_sql), drop duplicates, write the outputs.

Everything is written inside `workdir`; the service moves the finished files into place.
"""

from __future__ import annotations

import csv
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from shoudai.config import get_settings
from shoudai.reference.loaders import division_code_map, industry_sections
from shoudai.registry.importer import readers
from shoudai.registry.importer.errors import ImportFileError
from shoudai.registry.importer.macros import lit, macro_sql
from shoudai.registry.importer.rejects import write_reports
from shoudai.registry.importer.sources import SOURCES, Source
from shoudai.registry.importer.validate import LATE, STAGED, stage_sql

Progress = Callable[[int, int], None]

THREADS = 2
# DuckDB spills to <workdir>/spill beyond this (SHOUDAI_IMPORT_MEMORY_LIMIT overrides it). 5GB keeps a 10M-row
# registry file in memory: first measured 62 s wall and 5.0 GB peak RSS (raw-text table and stage side by side),
# against ~115-122 s and 3.3 GB with 3GB (spilling ~5 GB, and the stage ran on one core); since the stage is built
# straight from the file and is narrower, 39.5 s and 3.6 GB. Issue 2 allows 6 GB RSS.
MEMORY_LIMIT = os.environ.get("SHOUDAI_IMPORT_MEMORY_LIMIT", "5GB")
CSV_FLAGS = "auto_detect=false, quote='\"', escape='\"', max_line_size=1048576"
# DuckDB's CSV reader is strict; files it cannot parse (ragged rows …) go through Python's csv module instead.
CSV_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException)


@dataclass
class Staged:
    file_format: str
    encoding: str | None
    total_rows: int
    accepted_rows: int
    rejected_rows: int
    duplicate_rows: int
    problems: int
    parquet: Path
    rejects_csv: Path | None
    rejects_xlsx: Path | None


_cpu_mark = [0.0]


def trace(label: str, started: float) -> float:
    """With SHOUDAI_IMPORT_TRACE set, print how long a phase took, wall and CPU (for bench/import_bench.py)."""
    now = time.perf_counter()
    if os.environ.get("SHOUDAI_IMPORT_TRACE"):
        cpu = time.process_time()
        print(f"    {label}: {now - started:.2f}s wall, {cpu - _cpu_mark[0]:.2f}s cpu", file=sys.stderr)
        _cpu_mark[0] = cpu
    return now


def connect(workdir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        config={
            "threads": THREADS,
            "memory_limit": MEMORY_LIMIT,
            "temp_directory": str(workdir / "spill"),
            "preserve_insertion_order": True,
        }
    )
    con.execute("SET enable_progress_bar = false")
    for statement in macro_sql():
        con.execute(statement)
    con.execute("SET VARIABLE blind_key = ?", [get_settings().blind_index_key])
    return con


def _projection(source: Source, layout: readers.Layout, relation: str, ragged: bool) -> str:
    """`relation`'s columns under their source keys (absent ones NULL), and whether the record is wholly blank."""
    cols = ", ".join(
        f"c{layout.columns[c.key]} AS {c.key}" if c.key in layout.columns else f"CAST(NULL AS VARCHAR) AS {c.key}"
        for c in source.columns
    )
    # Wholly blank rows (trailing formatted cells in a sheet, ",,,," lines) are not data; they are kept in the stage
    # table only so that its rowids count every record, and left out by the `stage` view.
    blank = " AND ".join(f"c{j} IS NULL" for j in range(layout.width))
    extra = "extra_fields" if ragged else "CAST(NULL AS VARCHAR) AS extra_fields"
    return f"(SELECT {cols}, {extra}, ({blank}) AS row__blank FROM {relation})"


def _run_with_progress(con, sql: str, progress: Progress | None, estimate: int, part: tuple[float, float]) -> None:
    """Run `sql`, reporting DuckDB's own progress (within `part` of the whole job) as estimated rows."""
    started = time.perf_counter()
    if progress is None:
        con.execute(sql)
        trace(sql[:30], started)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        share = con.query_progress()
        if share and share > 0:
            done = part[0] + (part[1] - part[0]) * min(share, 100) / 100
            progress(int(estimate * done), estimate)
    if failure:
        raise failure[0]
    trace(sql[:30], started)
    progress(int(estimate * part[1]), estimate)


def _stage(con, file: Path, source: Source, layout: readers.Layout, skip: int, delimiter: str, progress,
           estimate: int, extra: bool = False) -> None:
    """The CSV's records (all text; extra_fields for rewritten ragged files) straight into the stage.

    One statement reads and validates: no table of raw text in between (at 10M rows that table and the stage did not
    both fit in memory). The stage table is filled in file order (preserve_insertion_order), so its rowid is the
    record's position in the file; the `stage` view numbers the rows as a spreadsheet shows them.
    """
    names = [f"c{j}" for j in range(layout.width)] + (["extra_fields"] if extra else [])
    cols = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    relation = (
        f"read_csv({lit(str(file))}, header=false, skip={skip}, columns={cols}, delim={lit(delimiter)}, {CSV_FLAGS})"
    )
    sections = [(s.section, s.division_from, s.division_to) for s in industry_sections()]
    sql = stage_sql(source.kind, _projection(source, layout, relation, extra), division_code_map(), sections,
                    layout.width)
    con.execute("DROP VIEW IF EXISTS stage")
    con.execute("DROP TABLE IF EXISTS stage_rows")
    con.execute("SET preserve_insertion_order = true")
    create = f"CREATE TEMP TABLE stage_rows AS {sql}"
    # Row numbers are only right if DuckDB inserts in batch order; some operators (a join, say) make it insert in
    # whatever order the threads finish. Refuse rather than number rows wrongly.
    plan = con.execute(f"EXPLAIN {create}").fetchall()[0][1]
    if "Batch Create Table As" not in plan:
        raise RuntimeError("the stage's plan does not keep file order; row numbers would be wrong")
    _run_with_progress(con, create, progress, estimate, (0, 0.95))
    first_row_no = layout.header_index + 2
    con.execute(
        f"""CREATE TEMP VIEW stage AS SELECT CAST(rowid + {first_row_no} AS INTEGER) AS row_no, * EXCLUDE (row__blank)
            FROM stage_rows WHERE NOT row__blank"""
    )
    # Only the stage table needs file order; what is computed from it carries row_no, so DuckDB may reorder.
    con.execute("SET preserve_insertion_order = false")


def _read_csv(con, path: Path, source: Source, workdir: Path, progress: Progress | None) -> tuple[str, readers.Layout]:
    with path.open("rb") as f:
        head = f.read(readers.HEAD_BYTES)
    if not head.strip(b"\xef\xbb\xbf \r\n\t,"):
        raise ImportFileError("文件为空")
    encoding = readers.detect_encoding(head)
    layout = readers.csv_layout(path, source, encoding)
    lines_in_head = max(head.count(b"\n"), 1)
    estimate = max(int(path.stat().st_size / (len(head) / lines_in_head)) - layout.header_index - 1, 1)
    readable = path
    if encoding == "gb18030":
        readable = workdir / "utf8.csv"
        started = time.perf_counter()
        readers.transcode_to_utf8(path, readable)
        trace("transcode", started)

    def load(file: Path) -> None:
        _stage(con, file, source, layout, layout.header_index + 1, layout.delimiter, progress, estimate)

    try:
        load(readable)
    except CSV_ERRORS as exc:
        retried = False
        if "unicode" in str(exc).lower() and encoding == "utf-8":
            # UTF-8 in the first megabyte, something else later: a GB18030 file that starts in ASCII.
            encoding, readable, retried = "gb18030", workdir / "utf8.csv", True
            readers.transcode_to_utf8(path, readable)
            try:
                load(readable)
            except CSV_ERRORS:
                retried = False
        if not retried:
            _stage_ragged(con, readable, source, layout, workdir, progress, estimate)
    return encoding, layout


def _stage_ragged(con, path: Path, source: Source, layout: readers.Layout, workdir: Path, progress, estimate: int) -> None:
    """The slow path for files DuckDB's strict reader refuses: Python's csv module rewrites them rectangular.

    Short rows are padded; a row with more fields than the header keeps its count in extra_fields (and is rejected).
    """
    width = layout.width
    out = workdir / "rectangular.csv"
    with path.open("r", encoding="utf-8-sig", newline="") as f, out.open("w", encoding="utf-8", newline="") as g:
        reader = csv.reader(f, delimiter=layout.delimiter)
        writer = csv.writer(g)
        for _ in range(layout.header_index + 1):
            next(reader, None)
        try:
            for record in reader:
                if not record:
                    continue  # as DuckDB does with blank lines
                fields = (record + [""] * width)[:width]
                writer.writerow([*fields, len(record) if len(record) > width else ""])
        except csv.Error as exc:
            raise ImportFileError(f"CSV格式错误，无法读取（第{reader.line_num}行附近）：{exc}") from exc
    _stage(con, out, source, layout, 0, ",", progress, estimate, extra=True)


def run(path: Path, kind: str, workdir: Path, progress: Progress | None = None) -> Staged:
    """Validate and normalise `path`; write <workdir>/staged.parquet and, if any problems, the two reports."""
    source = SOURCES[kind]
    (workdir / "spill").mkdir(exist_ok=True)
    con = connect(workdir)
    try:
        fmt = readers.file_format(path)
        if fmt == "xlsx":
            encoding = None
            sheet = workdir / "sheet.csv"
            layout, count = readers.xlsx_to_csv(path, source, sheet)
            _stage(con, sheet, source, layout, 0, ",", progress, max(count, 1))
        else:
            encoding, layout = _read_csv(con, path, source, workdir, progress)
        return _finish(con, path, source, layout, fmt, encoding, workdir)
    finally:
        con.close()


def _finish(con, path: Path, source: Source, layout, fmt: str, encoding, workdir: Path) -> Staged:
    started = time.perf_counter()
    total, accepted = con.execute("SELECT count(*), count(*) FILTER (WHERE ok) FROM stage").fetchone()
    if total == 0:
        raise ImportFileError("文件中没有数据行（只有表头）")
    late_name, late_sql = LATE[source.kind]
    staged_cols = [name for name, _ in STAGED[source.kind]]
    data_cols = ", ".join(c for c in staged_cols if c not in ("row_no", late_name))
    # Exact duplicates among accepted rows: candidate groups by the 64-bit row__h, confirmed on the values themselves.
    con.execute(
        f"""CREATE TEMP TABLE dropped AS
        SELECT row_no FROM (
            SELECT row_no, row_number() OVER (PARTITION BY {data_cols} ORDER BY row_no) AS copy_no
            FROM stage WHERE row__h IN (
                SELECT row__h FROM stage WHERE row__h IS NOT NULL GROUP BY row__h HAVING count(*) > 1))
        WHERE copy_no > 1"""
    )
    duplicates = con.execute("SELECT count(*) FROM dropped").fetchone()[0]
    started = trace("duplicates", started)
    parquet = workdir / "staged.parquet"
    # Uncompressed: measured on 1M registry rows, snappy 1.7 CPU-s, lz4 1.8-2.0, zstd(1) 2.0, none 1.2 (file 203 MB
    # against snappy's 131 MB); the staged file is read once by the build, where it is also cheaper to scan.
    con.execute(
        f"""COPY (SELECT {', '.join(f'{late_sql} AS {c}' if c == late_name else c for c in staged_cols)} FROM stage
                  WHERE ok AND row_no NOT IN (SELECT row_no FROM dropped))
            TO {lit(str(parquet))} (FORMAT parquet, COMPRESSION uncompressed)"""
    )
    started = trace("parquet", started)
    problems, rejects_csv, rejects_xlsx = write_reports(con, path.name, source, layout, workdir)
    trace("rejects", started)
    return Staged(
        file_format=fmt,
        encoding=encoding,
        total_rows=total,
        accepted_rows=accepted - duplicates,
        rejected_rows=total - accepted,
        duplicate_rows=duplicates,
        problems=problems,
        parquet=parquet,
        rejects_csv=rejects_csv,
        rejects_xlsx=rejects_xlsx,
    )
