"""The two no-loan lists (L3–L6): build a year's version from three import batches, store it, and summarise it."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shoudai.config import get_settings
from shoudai.pipeline.build import ENTRY_COLUMNS, REMOVAL_COLUMNS, content_digest, run_build
from shoudai.pipeline.engines import open_engine
from shoudai.pipeline.engines.base import Engine
from shoudai.reference.loaders import division_names, reporting_units
from shoudai.registry import store
from shoudai.registry.models import ImportBatch, ListEntry, ListRemoval, ListVersion

KINDS = ("registry", "tax", "credit")


class ListBuildError(ValueError):
    """The inputs cannot make a version (wrong batch kind, missing staged file)."""


def lists_dir(year: int) -> Path:
    return get_settings().data_dir.resolve() / "lists" / str(year)


def version_files(year: int) -> tuple[Path, Path]:
    """Where year Y's entries.parquet and removals.parquet live."""
    d = lists_dir(year)
    return d / "entries.parquet", d / "removals.parquet"


def get_version(session: Session, year: int) -> ListVersion | None:
    return session.scalar(select(ListVersion).where(ListVersion.year == year))


def previous_version(session: Session, year: int) -> ListVersion | None:
    """The newest version of a year before `year` (what 'new' and 'carried' are measured against)."""
    return session.scalar(
        select(ListVersion).where(ListVersion.year < year).order_by(ListVersion.year.desc()).limit(1)
    )


@dataclass(frozen=True)
class StaleVersion:
    """A version whose new/carried/removed were measured against a version that has since been (re)built."""

    year: int
    base_year: int  # the year it is now to be compared against


def stale_versions(versions: Sequence[ListVersion]) -> list[StaleVersion]:
    """Which of `versions` (all of them, any order) need building again to be right about what changed.

    A build compares year Y with the newest version before Y as it stood then. Rebuilding that version, or building
    a year between the two later, leaves Y's changes measured against rows that are no longer there. Pure: the
    versions' years, ids, previous ids and build times decide it.
    """
    ordered = sorted(versions, key=lambda v: v.year)
    stale = []
    for before, version in itertools.pairwise(ordered):
        if version.previous_version_id != before.id or _instant(before.built_at) > _instant(version.built_at):
            stale.append(StaleVersion(version.year, before.year))
    return stale


def _instant(moment: datetime) -> datetime:
    """SQLite gives back stored times without their zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def ensure_files(session: Session, version: ListVersion) -> tuple[Path, Path]:
    """The version's Parquet files; rewritten from the database if the data dir lost them."""
    entries, removals = version_files(version.year)
    if not entries.is_file():
        store.dump_parquet(session, ListEntry, version.id, ENTRY_COLUMNS, entries)
    if not removals.is_file():
        store.dump_parquet(session, ListRemoval, version.id, REMOVAL_COLUMNS, removals)
    return entries, removals


def _check_batch(batch: ImportBatch, kind: str) -> Path:
    if batch.kind != kind:
        raise ListBuildError(f"第 {batch.id} 批导入是 {batch.kind}，此处需要 {kind}")
    path = Path(batch.staged_path)
    if not path.is_file():
        raise ListBuildError(f"第 {batch.id} 批导入的暂存文件不存在：{path}")
    return path


@dataclass(frozen=True)
class _Counts:
    sme: int
    individual: int
    new: int
    carried: int
    removed: int


def _count(entries: Path, removals: Path) -> _Counts:
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # the CLI shows its own progress
        e = str(entries).replace("'", "''")
        r = str(removals).replace("'", "''")
        row = con.sql(
            f"""SELECT count(*) FILTER (WHERE list_kind = 'sme'), count(*) FILTER (WHERE list_kind = 'individual'),
                       count(*) FILTER (WHERE change = 'new'), count(*) FILTER (WHERE change = 'carried'),
                       (SELECT count(*) FROM read_parquet('{r}'))
                FROM read_parquet('{e}')"""
        ).fetchall()[0]
    finally:
        con.close()
    return _Counts(*(int(v or 0) for v in row))


def build_version(
    session: Session,
    year: int,
    registry_batch: ImportBatch,
    tax_batch: ImportBatch,
    credit_batch: ImportBatch,
    *,
    engine: str | Engine = "duckdb",
    actor: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    timings: dict[str, float] | None = None,
) -> ListVersion:
    """Build and store year `year`'s two lists; a rebuild replaces that year's rows. Flushes, never commits.

    `timings`, if given, receives seconds per stage (build, digest, store) for benchmarks.
    """
    timings = {} if timings is None else timings
    t0 = time.perf_counter()
    inputs = {k: _check_batch(b, k) for k, b in zip(KINDS, (registry_batch, tax_batch, credit_batch), strict=True)}
    prev = previous_version(session, year)
    prev_entries = ensure_files(session, prev)[0] if prev is not None else None
    target = lists_dir(year)
    target.mkdir(parents=True, exist_ok=True)
    own_engine = isinstance(engine, str)
    # DuckDB spills next to the output when a big city outgrows its memory limit.
    eng = open_engine(engine, **({"temp_dir": target} if engine == "duckdb" else {})) if own_engine else engine
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=target))
    try:
        try:
            out = run_build(eng, year=year, previous_entries=prev_entries, out_dir=work, **inputs)
        finally:
            if own_engine:
                eng.close()
        t1 = time.perf_counter()
        timings["build"] = t1 - t0
        counts = _count(out.entries_path, out.removals_path)
        version = get_version(session, year)
        if version is None:
            version = ListVersion(year=year)
            session.add(version)
        else:
            store.delete_version_rows(session, version.id)
        version.engine = eng.name
        version.registry_batch_id = registry_batch.id
        version.tax_batch_id = tax_batch.id
        version.credit_batch_id = credit_batch.id
        version.previous_version_id = prev.id if prev is not None else None
        version.sme_count = counts.sme
        version.individual_count = counts.individual
        version.new_count = counts.new
        version.carried_count = counts.carried
        version.removed_count = counts.removed
        version.content_digest = content_digest(out.entries_path)
        t2 = time.perf_counter()
        timings["digest"] = t2 - t1
        version.built_by = actor[:64]
        version.built_at = clock()
        session.flush()
        store.load_parquet(session, ListEntry.__table__, out.entries_path, {"version_id": version.id})
        store.load_parquet(session, ListRemoval.__table__, out.removals_path, {"version_id": version.id})
        timings["store"] = time.perf_counter() - t2
        entries, removals = version_files(year)
        os.replace(out.entries_path, entries)
        os.replace(out.removals_path, removals)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return version


@dataclass
class CountySummary:
    """One row of the per-county table: list sizes, tiers and changes."""

    county_code: str
    county_name: str
    sme: int = 0
    individual: int = 0
    tiers: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0, "C": 0})
    new: int = 0
    carried: int = 0
    removed: int = 0

    @property
    def total(self) -> int:
        return self.sme + self.individual


def summary(session: Session, year: int) -> tuple[list[CountySummary], CountySummary]:
    """Per reporting unit (in reference order, then any other code) and the city total, for year `year`."""
    version = get_version(session, year)
    if version is None:
        raise LookupError(f"{year} 年尚未生成名单")
    names = division_names()
    rows: dict[str, CountySummary] = {u.code: CountySummary(u.code, u.name) for u in reporting_units()}
    e = ListEntry.__table__.c
    for county, kind, tier, change, n in session.execute(
        select(e.county_code, e.list_kind, e.tier, e.change, func.count())
        .where(e.version_id == version.id)
        .group_by(e.county_code, e.list_kind, e.tier, e.change)
    ):
        row = rows.setdefault(county, CountySummary(county, names.get(county, county)))
        if kind == "sme":
            row.sme += n
        else:
            row.individual += n
        row.tiers[tier] = row.tiers.get(tier, 0) + n
        if change == "new":
            row.new += n
        else:
            row.carried += n
    r = ListRemoval.__table__.c
    for county, n in session.execute(
        select(r.county_code, func.count()).where(r.version_id == version.id).group_by(r.county_code)
    ):
        rows.setdefault(county, CountySummary(county, names.get(county, county))).removed += n
    total = CountySummary("", "合计")
    for row in rows.values():
        total.sme += row.sme
        total.individual += row.individual
        total.new += row.new
        total.carried += row.carried
        total.removed += row.removed
        for t, n in row.tiers.items():
            total.tiers[t] = total.tiers.get(t, 0) + n
    return list(rows.values()), total
