"""The list build: SQL written once (sql/*.sql, DuckDB dialect), run by an engine adapter (DuckDB or Spark)."""
