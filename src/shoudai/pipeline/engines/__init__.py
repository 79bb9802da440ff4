"""Engine adapters for the list build."""

from __future__ import annotations

from shoudai.pipeline.engines.base import Engine

ENGINES = ("duckdb", "spark")


def open_engine(name: str, **options) -> Engine:
    """A fresh engine adapter by name (duckdb | spark)."""
    if name == "duckdb":
        from shoudai.pipeline.engines.duckdb import DuckDBEngine

        return DuckDBEngine(**options)
    if name == "spark":
        from shoudai.pipeline.engines.spark import SparkEngine

        return SparkEngine(**options)
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
