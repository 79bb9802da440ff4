"""Run the list build (sql/*.sql) on an engine: staged Parquet in, entries.parquet and removals.parquet out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from shoudai.pipeline.engines.base import Engine
from shoudai.reference import loaders

SQL_DIR = Path(__file__).parent / "sql"

# (step name, SQL file, materialise?): a materialised step is computed once and read by the later ones; a view is
# re-read where used (worth it only when that is cheaper than storing the rows).
STEPS = (
    ("duplicates", "00_duplicates.sql", True),
    ("entities", "01_entities.sql", False),
    ("industry_rule", "02_industry_rule.sql", True),
    ("tax_link", "03_tax_link.sql", True),
    ("classified", "04_classified.sql", True),
)
ENTRIES_SQL = "05_entries.sql"
REMOVALS_SQL = "06_removals.sql"

# Column order of entries.parquet (list_entry minus id and version_id); the digest is computed in this order.
ENTRY_COLUMNS = (
    "entity_key", "list_kind", "uscc", "reg_no", "name", "entity_kind", "registry_type", "county_code",
    "industry_code", "industry_section", "address", "legal_rep_masked", "established_on", "tax_status", "tax_grade",
    "tier", "size_class", "change", "first_listed_year", "reasons",
)
REMOVAL_COLUMNS = ("entity_key", "list_kind", "uscc", "reg_no", "name", "county_code", "reason_code", "reason")

# Exclusion reasons in order of precedence, with the Chinese text shown to users.
REASONS = (
    ("converted", "已获得贷款或票据贴现（转化为首贷户）"),
    ("deregistered", "已注销/吊销/迁出"),
    ("tax_abnormal", "纳税状态异常"),
    ("size_grown", "规模超出小微标准"),
    ("not_eligible", "非企业或个体工商户主体"),
    ("gone", "数据源中已无此主体"),
)
REASON_TEXT = dict(REASONS)

PREV_SCHEMA = pa.schema([
    ("entity_key", pa.string()), ("list_kind", pa.string()), ("uscc", pa.string()), ("reg_no", pa.string()),
    ("name", pa.string()), ("county_code", pa.string()), ("first_listed_year", pa.int32()),
])
DEC = pa.decimal128(18, 4)


def sql_text(file_name: str) -> str:
    return (SQL_DIR / file_name).read_text("utf-8")


def reference_tables(year: int) -> dict[str, pa.Table]:
    """The reference data and build parameters as small Arrow tables the SQL joins against."""
    divs = loaders.divisions()
    sections = loaders.industry_sections()
    rules = loaders.size_rules()
    match_rows = []
    default_rule = None
    for ord_, rule in enumerate(rules):
        for m in rule.match:
            if m == "*":
                kind, length = "any", 0
                default_rule = default_rule or rule.rule
            elif m.isdigit():
                kind, length = "digits", len(m) + 1  # a division or class beats its section letter
            else:
                kind, length = "section", 1
            match_rows.append((rule.rule, ord_, kind, m, length))
    if default_rule is None:
        raise LookupError("size_thresholds has no '*' rule")

    def bound(rule, cls: str, i: int) -> Decimal | None:
        values = getattr(rule, cls)
        return values[i] if i < len(values) else None

    return {
        "ref_division": pa.table({
            "code": [d.code for d in divs],
            "current_code": [d.replaced_by or d.code for d in divs],
        }),
        "ref_section": pa.table({
            "section": [s.section for s in sections],
            "division_from": pa.array([s.division_from for s in sections], pa.int32()),
            "division_to": pa.array([s.division_to for s in sections], pa.int32()),
        }),
        "ref_size_match": pa.table({
            "rule": [r[0] for r in match_rows],
            "rule_ord": pa.array([r[1] for r in match_rows], pa.int32()),
            "match_kind": [r[2] for r in match_rows],
            "match": [r[3] for r in match_rows],
            "match_len": pa.array([r[4] for r in match_rows], pa.int32()),
        }),
        "ref_size_rule": pa.table({
            "rule": [r.rule for r in rules],
            "ind1": [r.indicators[0] for r in rules],
            "ind2": pa.array([r.indicators[1] if len(r.indicators) > 1 else None for r in rules], pa.string()),
            **{
                f"{cls}{i + 1}": pa.array([bound(r, cls, i) for r in rules], DEC)
                for cls in ("large", "medium", "small") for i in range(2)
            },
        }),
        "ref_reason": pa.table({
            "reason_code": [c for c, _ in REASONS],
            "precedence": pa.array(range(len(REASONS)), pa.int32()),
            "reason": [t for _, t in REASONS],
        }),
        "build_params": pa.table({"year": pa.array([year], pa.int32()), "default_rule": [default_rule]}),
    }


@dataclass(frozen=True)
class BuildOutput:
    entries_path: Path
    removals_path: Path


def run_build(
    engine: Engine,
    *,
    year: int,
    registry: str | Path,
    tax: str | Path,
    credit: str | Path,
    previous_entries: str | Path | None,
    out_dir: str | Path,
) -> BuildOutput:
    """Run every step of the build on `engine` and write entries.parquet and removals.parquet into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    engine.register_parquet("registry", registry)
    engine.register_parquet("tax", tax)
    engine.register_parquet("credit", credit)
    if previous_entries is not None:
        engine.register_parquet("prev_entries", previous_entries)
    else:
        engine.register_arrow("prev_entries", PREV_SCHEMA.empty_table())
    for name, table in reference_tables(year).items():
        engine.register_arrow(name, table)
    for name, file_name, materialise in STEPS:
        if materialise:
            engine.materialize(name, sql_text(file_name))
        else:
            engine.define_view(name, sql_text(file_name))
    entries = out_dir / "entries.parquet"
    removals = out_dir / "removals.parquet"
    # Sorted by entity_key: the digest then streams the file as it is, and the database's unique index on
    # (version_id, entity_key) is filled in order.
    engine.write_parquet(f"SELECT * FROM ({sql_text(ENTRIES_SQL)}) AS e ORDER BY entity_key", entries)
    engine.write_parquet(f"SELECT * FROM ({sql_text(REMOVALS_SQL)}) AS r ORDER BY entity_key", removals)
    return BuildOutput(entries, removals)


class _HashSink:
    """A write-only file object that only hashes what is written to it."""

    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.closed = False

    def write(self, data) -> int:
        self.h.update(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def _is_sorted(path: str | Path) -> bool:
    """True if the file's entity_key column is strictly increasing (checked batch by batch, vectorised)."""
    last = None
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1 << 20, columns=["entity_key"]):
        keys = batch.column(0)
        if len(keys) == 0:
            continue
        if keys.null_count:
            return False
        if last is not None and not pc.greater(keys[0], last).as_py():
            return False
        if len(keys) > 1 and not pc.all(pc.greater(keys.slice(1), keys.slice(0, len(keys) - 1))).as_py():
            return False
        last = keys[len(keys) - 1]
    return True


def content_digest(entries_path: str | Path) -> str:
    """sha256 of the entries sorted by entity_key as headerless UTF-8 CSV in ENTRY_COLUMNS order.

    Computed here, from the written Parquet and never by the engine, so DuckDB and Spark builds of the same inputs
    hash the same bytes; types are pinned so a Spark INT and a DuckDB INTEGER print alike. A file already in key
    order (as the build writes it) is streamed without sorting it again.
    """
    cols = ", ".join(
        f"CAST({c} AS INTEGER) AS {c}" if c == "first_listed_year" else f"CAST({c} AS VARCHAR) AS {c}"
        for c in ENTRY_COLUMNS
    )
    order = "" if _is_sorted(entries_path) else " ORDER BY entity_key"
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # the CLI shows its own progress
        con.execute("SET threads = 2")
        path = str(entries_path).replace("'", "''")
        reader = con.sql(f"SELECT {cols} FROM read_parquet('{path}'){order}").to_arrow_reader(200_000)
        sink = _HashSink()
        opts = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        with pacsv.CSVWriter(sink, reader.schema, write_options=opts) as writer:
            for batch in reader:
                writer.write_batch(batch)
        return sink.h.hexdigest()
    finally:
        con.close()
