import csv
import io
from datetime import date

import pyarrow as pa

from shoudai.synth.loans import HEADER, months_of, report_files, spread_over


def test_months_stop_at_the_last_month():
    assert months_of(2026, date(2026, 10, 31))[-1] == "2026-10"
    assert len(months_of(2025, date(2026, 10, 31))) == 12
    assert months_of(2027, date(2026, 10, 31)) == []


def test_reports_are_deterministic_and_in_the_contract_layout():
    table = pa.table({"uscc": ["91410700MA00000001", None, "92410700MA00000002"], "name": ["甲公司", "乙店", "丙店"]})
    borrowers = spread_over(table, ["2026-01", "2026-02"], 1.0, seed=3)
    assert sum(t.num_rows for t in borrowers.values()) == 3
    files = report_files(borrowers, seed=3)
    assert files == report_files(borrowers, seed=3)
    tables = [list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) for data in files.values()]
    assert all(tuple(t[0]) == HEADER for t in tables)
    loans = [r for t in tables for r in t[1:]]
    assert sorted(r[1] for r in loans) == ["91410700MA00000001", "92410700MA00000002"]  # no code, no report row
    assert all(float(r[5]) > 0 for r in loans)
