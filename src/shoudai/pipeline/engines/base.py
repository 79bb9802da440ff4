"""The handful of operations the list build needs from an SQL engine (Splink's adapter idea)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Self

import pyarrow as pa


class Engine(ABC):
    """An SQL engine that reads Parquet and Arrow, runs DuckDB-dialect SQL (translated as needed) and writes Parquet."""

    name: str = "?"

    @abstractmethod
    def register_parquet(self, name: str, path: str | Path) -> None:
        """Expose a Parquet file as the view `name`."""

    @abstractmethod
    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Expose an in-memory table (reference data) as `name`."""

    @abstractmethod
    def materialize(self, name: str, select_sql: str) -> None:
        """Compute `select_sql` once and expose it as the table `name` for later steps."""

    @abstractmethod
    def define_view(self, name: str, select_sql: str) -> None:
        """Expose `select_sql` as the view `name`, computed wherever it is read."""

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run one statement for its effect."""

    @abstractmethod
    def write_parquet(self, select_sql: str, path: str | Path) -> None:
        """Write the result of `select_sql` as one Parquet file at `path`."""

    @abstractmethod
    def fetch_arrow(self, select_sql: str) -> pa.Table:
        """The result of `select_sql` as an Arrow table (small results only)."""

    @abstractmethod
    def close(self) -> None:
        """Release the engine's resources."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
