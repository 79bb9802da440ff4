"""The staged Parquet schemas the build reads (docs/design/two-lists.md), and a writer for hand-made test inputs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

DEC = pa.decimal128(18, 4)

SCHEMAS: dict[str, pa.Schema] = {
    "registry": pa.schema([
        ("row_no", pa.int32()), ("uscc", pa.string()), ("reg_no", pa.string()), ("name", pa.string()),
        ("registry_type", pa.string()), ("entity_kind", pa.string()), ("legal_rep", pa.string()),
        ("person_id", pa.string()), ("person_key", pa.string()), ("registered_capital", DEC),
        ("established_on", pa.date32()), ("status", pa.string()), ("county_code", pa.string()),
        ("industry_code", pa.string()), ("address", pa.string()), ("registrar", pa.string()),
    ]),
    "tax": pa.schema([
        ("row_no", pa.int32()), ("taxpayer_id", pa.string()), ("id_form", pa.string()), ("uscc", pa.string()),
        ("org_code", pa.string()), ("person_key", pa.string()), ("name", pa.string()), ("tax_status", pa.string()),
        ("tax_grade", pa.string()), ("industry_code", pa.string()), ("revenue", DEC), ("employees", pa.int32()),
        ("assets", DEC), ("tax_paid", DEC), ("county_code", pa.string()),
    ]),
    "credit": pa.schema([
        ("row_no", pa.int32()), ("subject_id", pa.string()), ("id_type", pa.string()), ("uscc", pa.string()),
        ("person_key", pa.string()), ("has_loan", pa.bool_()), ("has_discount", pa.bool_()),
        ("first_loan_on", pa.date32()),
    ]),
}


def write_staged(kind: str, rows: Iterable[Mapping], path: str | Path) -> Path:
    """Write `rows` (dicts; missing columns are null, row_no defaults to the spreadsheet row) as staged Parquet."""
    schema = SCHEMAS[kind]
    rows = list(rows)
    columns = {}
    for field in schema:
        if field.name == "row_no":
            columns["row_no"] = [r.get("row_no", i + 2) for i, r in enumerate(rows)]
        else:
            columns[field.name] = [_coerce(field.type, r.get(field.name)) for r in rows]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


def _coerce(type_: pa.DataType, value):
    """Let JSON fixtures write decimals and dates as strings."""
    if isinstance(value, str) and pa.types.is_decimal(type_):
        return Decimal(value)
    if isinstance(value, str) and pa.types.is_date(type_):
        return date.fromisoformat(value)
    return value


def stage_json_dir(src: str | Path, out_dir: str | Path) -> dict[str, Path]:
    """registry.json, tax.json, credit.json in `src` → staged Parquet files in `out_dir`, by kind."""
    src, out_dir = Path(src), Path(out_dir)
    return {
        kind: write_staged(kind, json.loads((src / f"{kind}.json").read_text("utf-8")), out_dir / f"{kind}.parquet")
        for kind in SCHEMAS
    }
