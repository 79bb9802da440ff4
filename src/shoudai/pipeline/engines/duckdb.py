"""DuckDB adapter: embedded, the default; the SQL is already in its dialect."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from shoudai.pipeline.engines.base import Engine


def _quote(path: str | Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class DuckDBEngine(Engine):
    """An in-memory DuckDB connection; spills to `temp_dir` when the data outgrows `memory_limit`."""

    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str = "3GB", temp_dir: str | Path | None = None):
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET enable_progress_bar = false")  # the CLI shows its own progress
        self.con.execute(f"SET threads = {int(threads or os.cpu_count() or 2)}")
        self.con.execute(f"SET memory_limit = {_quote(memory_limit)}")
        # Insertion order is not part of any result we keep (the digest sorts), so let DuckDB stream freely.
        self.con.execute("SET preserve_insertion_order = false")
        if temp_dir:
            self.con.execute(f"SET temp_directory = {_quote(temp_dir)}")
        self._arrow: dict[str, pa.Table] = {}

    def _forget(self, name: str) -> None:
        # A registered Arrow table is a temp view that would shadow (or block) a new view of the same name.
        self.con.execute(f"DROP VIEW IF EXISTS temp.{name}")
        self._arrow.pop(name, None)

    def register_parquet(self, name: str, path: str | Path) -> None:
        self._forget(name)
        self.con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet({_quote(path)})")

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self._forget(name)
        self._arrow[name] = table  # keep it alive while the view refers to it
        self.con.register(name, table)

    def materialize(self, name: str, select_sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select_sql}")

    def define_view(self, name: str, select_sql: str) -> None:
        self._forget(name)
        self.con.execute(f"CREATE TEMP VIEW {name} AS {select_sql}")

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def write_parquet(self, select_sql: str, path: str | Path) -> None:
        self.con.execute(f"COPY ({select_sql}) TO {_quote(path)} (FORMAT parquet)")

    def fetch_arrow(self, select_sql: str) -> pa.Table:
        return self.con.sql(select_sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()
