"""The README's main job, end to end on the embedded default: a generated city, two years of lists, exports."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest


@pytest.mark.slow
def test_demo_builds_two_years_and_exports(tmp_path):
    env = {**os.environ, "SHOUDAI_DATA_DIR": str(tmp_path), "COLUMNS": "160"}
    env.pop("SHOUDAI_DATABASE_URL", None)
    shoudai = Path(sys.executable).with_name("shoudai")
    run = subprocess.run([str(shoudai), "demo", "--entities", "3000", "--no-serve"], env=env, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "2025 年两张无贷户名单" in run.stdout and "2026 年两张无贷户名单" in run.stdout
    assert (tmp_path / "shoudai.db").exists()
    # Loan codes and needs worked by banks: the workbench and the compliance page have something to show.
    assert "融资需求 loan needs:" in run.stdout and "/q/demo-" in run.stdout
    for year in (2025, 2026):
        out = tmp_path / "exports" / str(year)
        header = (out / "sme.csv").read_text("utf-8").splitlines()[0]
        assert {"uscc", "name", "county_code", "tier", "change"} <= set(header.lstrip("\ufeff").split(","))
        books = sorted((out / "excel").glob("*.xlsx"))
        assert len(books) == 15
        wb = openpyxl.load_workbook(books[0], read_only=True)
        assert "小微企业无贷户名单" in wb.sheetnames and "个体工商户无贷户名单" in wb.sheetnames
    # the second year is built against the first: some entries carried, some removed with a reason
    removed = (tmp_path / "exports" / "2026" / "removed.csv").read_text("utf-8").splitlines()
    assert len(removed) > 1
    with open(tmp_path / "exports" / "2026" / "individual.csv", encoding="utf-8-sig", newline="") as f:
        changes = {row["change"] for row in csv.DictReader(f)}
    assert changes == {"new", "carried"}
    # banks' first-loan reports were imported and last month's bulletin written
    assert "银行首贷报送" in run.stdout
    bulletins = list((tmp_path / "exports" / "bulletin").glob("*/by_county.csv"))
    assert len(bulletins) == 1
    with open(bulletins[0], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 16 and rows[-1]["县（市、区）"] == "合计"
    assert int(rows[-1]["专项行动以来累计户数"]) > 0
    assert list(bulletins[0].parent.glob("*.pdf")) and list(bulletins[0].parent.glob("*.xlsx"))
