"""L8: the same build on DuckDB and on a local Spark session gives identical lists (same content digest)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shoudai.pipeline.build import content_digest, run_build
from shoudai.pipeline.engines.duckdb import DuckDBEngine
from shoudai.pipeline.staged import stage_json_dir
from shoudai.pipeline.synth_staged import generate_staged_city

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(600)]
DATA = Path(__file__).parents[2] / "data" / "lists"


@pytest.fixture(scope="module")
def spark_engine():
    pytest.importorskip("pyspark")
    from shoudai.pipeline.engines.spark import SparkEngine

    engine = SparkEngine(stop_on_close=False)
    yield engine
    engine.spark.stop()


def _sorted(path: Path, key: str = "entity_key"):
    return pq.read_table(path).sort_by(key).to_pylist()


def _build_two_years(engine, inputs: list[dict], out: Path):
    """Year 1 then year 2 against year 1; returns the outputs of both."""
    outs, previous = [], None
    for year, staged in zip((2024, 2025), inputs, strict=True):
        result = run_build(engine, year=year, previous_entries=previous, out_dir=out / str(year), **staged)
        outs.append(result)
        previous = result.entries_path
    return outs


def _compare(duck_outs, spark_outs):
    for d, s in zip(duck_outs, spark_outs, strict=True):
        assert content_digest(d.entries_path) == content_digest(s.entries_path)
        assert _sorted(d.entries_path) == _sorted(s.entries_path)
        assert _sorted(d.removals_path) == _sorted(s.removals_path)


def test_hand_made_city_is_identical_on_both_engines(tmp_path, spark_engine):
    inputs = [stage_json_dir(DATA / y, tmp_path / f"staged-{y}") for y in ("year1", "year2")]
    with DuckDBEngine(threads=1) as duck:
        duck_outs = _build_two_years(duck, inputs, tmp_path / "duck")
    spark_outs = _build_two_years(spark_engine, inputs, tmp_path / "spark")
    spark_engine.close()
    _compare(duck_outs, spark_outs)
    assert pq.read_metadata(spark_outs[1].removals_path).num_rows == 5


def test_generated_city_of_50k_is_identical_on_both_engines(tmp_path, spark_engine):
    inputs = [generate_staged_city(50_000, 11, tmp_path / f"city-{i}", year_shift=i) for i in (0, 1)]
    with DuckDBEngine() as duck:
        duck_outs = _build_two_years(duck, inputs, tmp_path / "duck")
    spark_outs = _build_two_years(spark_engine, inputs, tmp_path / "spark")
    spark_engine.close()
    _compare(duck_outs, spark_outs)
    entries = pq.read_table(duck_outs[1].entries_path)
    changes = set(entries.column("change").to_pylist())
    tiers = set(entries.column("tier").to_pylist())
    removal_reasons = set(pq.read_table(duck_outs[1].removals_path).column("reason_code").to_pylist())
    assert entries.num_rows > 10_000
    assert changes == {"new", "carried"} and tiers == {"A", "B", "C"}
    assert {"deregistered", "converted", "tax_abnormal", "size_grown"} <= removal_reasons
