"""The SQL size classifier agrees with shoudai.reference.size (the pure reference) on thousands of random cases."""

from __future__ import annotations

import random
from decimal import Decimal

from shoudai.pipeline.build import run_build
from shoudai.pipeline.engines.duckdb import DuckDBEngine
from shoudai.pipeline.staged import write_staged
from shoudai.reference.size import classify, rule_for

CODES = ["C1713", "1713", "C17", "A0111", "0111", "E4811", "5123", "F5211", "5211", "G5430", "5920", "6010", "6110",
         "H6210", "I6311", "6510", "K7010", "7010", "7020", "L7211", "7211", "O8011", "8011", "S9100", None]
# Values at, just below and around the bounds of every rule.
EDGES = [0, 1, 5, 9, 10, 19, 20, 49, 50, 99, 100, 101, 199, 200, 299, 300, 301, 499, 500, 999, 1000, 1999, 2000, 2999,
         3000, 4999, 5000, 5999, 6000, 7999, 8000, 9999, 10000, 19999, 20000, 29999, 30000, 39999, 40000, 79999,
         80000, 99999, 100000, 119999, 120000, 199999, 200000]


def _value(rnd: random.Random):
    if rnd.random() < 0.15:
        return None
    v = rnd.choice(EDGES)
    return v if rnd.random() < 0.7 else max(0, v + rnd.choice([-1, 1]) * Decimal("0.0001"))


def test_sql_size_class_matches_reference(tmp_path):
    rnd = random.Random(7)
    registry, tax, expected = [], [], {}
    for i in range(3000):
        uscc = f"91410702X{i:08d}Z"
        code = rnd.choice(CODES)
        emp, rev, assets = _value(rnd), _value(rnd), _value(rnd)
        emp = None if emp is None else int(emp)
        registry.append({"uscc": uscc, "name": f"企业{i}", "entity_kind": "enterprise", "status": "存续",
                         "county_code": "410702", "industry_code": code})
        tax.append({"uscc": uscc, "id_form": "uscc", "tax_status": "正常", "tax_grade": "B",
                    "employees": emp, "revenue": rev, "assets": assets})
        expected[uscc] = classify(rule_for(code), {"employees": emp, "revenue": rev, "assets": assets})
    staged = {
        "registry": write_staged("registry", registry, tmp_path / "r.parquet"),
        "tax": write_staged("tax", tax, tmp_path / "t.parquet"),
        "credit": write_staged("credit", [], tmp_path / "c.parquet"),
    }
    with DuckDBEngine(threads=1) as engine:
        run_build(engine, year=2024, previous_entries=None, out_dir=tmp_path / "out", **staged)
        got = {r["entity_key"]: r["size_class"] for r in
               engine.fetch_arrow("SELECT entity_key, size_class FROM classified").to_pylist()}
    assert got == expected
    assert set(expected.values()) == {"large", "medium", "small", "micro", "unknown"}
