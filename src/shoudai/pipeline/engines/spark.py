"""Spark adapter: a local session here, a cluster's in production; the DuckDB-dialect SQL is translated by sqlglot."""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import sqlglot

from shoudai.pipeline.engines.base import Engine


@lru_cache(maxsize=512)
def to_spark_sql(sql: str) -> str:
    """DuckDB dialect → Spark SQL (null ordering, type names, function names)."""
    return ";\n".join(sqlglot.transpile(sql, read="duckdb", write="spark", pretty=False))


def _local_session(master: str, driver_memory: str, shuffle_partitions: int):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName("shoudai-lists")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.compression.codec", "zstd")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkEngine(Engine):
    """Runs the build on a Spark session (a local one unless `session` is given)."""

    name = "spark"

    def __init__(self, *, session=None, master: str = "local[2]", driver_memory: str = "2g",
                 shuffle_partitions: int = 4, stop_on_close: bool = False):
        self.spark = session or _local_session(master, driver_memory, shuffle_partitions)
        # The session is reused across builds in one process (starting the JVM costs seconds); stop it only if asked.
        self._stop = stop_on_close
        self._cached: list = []

    def register_parquet(self, name: str, path: str | Path) -> None:
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def materialize(self, name: str, select_sql: str) -> None:
        df = self.spark.sql(to_spark_sql(select_sql)).cache()
        self._cached.append(df)
        df.createOrReplaceTempView(name)

    def define_view(self, name: str, select_sql: str) -> None:
        self.spark.sql(to_spark_sql(select_sql)).createOrReplaceTempView(name)

    def execute(self, sql: str) -> None:
        self.spark.sql(to_spark_sql(sql))

    def write_parquet(self, select_sql: str, path: str | Path) -> None:
        # Spark writes a folder of part files; the contract is one file, so write one part and move it into place.
        path = Path(path)
        tmp = Path(tempfile.mkdtemp(prefix=".spark-", dir=path.parent))
        try:
            out = tmp / "out"
            self.spark.sql(to_spark_sql(select_sql)).coalesce(1).write.parquet(str(out))
            parts = sorted(glob.glob(str(out / "part-*.parquet")))
            if len(parts) != 1:
                raise RuntimeError(f"expected one Parquet part, found {len(parts)}")
            os.replace(parts[0], path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def fetch_arrow(self, select_sql: str) -> pa.Table:
        return self.spark.sql(to_spark_sql(select_sql)).toArrow()

    def close(self) -> None:
        for df in self._cached:
            df.unpersist()
        self._cached.clear()
        for view in self.spark.catalog.listTables():
            if view.isTemporary:
                self.spark.catalog.dropTempView(view.name)
        if self._stop:
            self.spark.stop()
