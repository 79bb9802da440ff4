"""Exports: CSV columns and rows; per-county workbooks with both sheets, Chinese headers, masked names, split sheets."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from shoudai.pipeline.staged import stage_json_dir
from shoudai.registry import export, lists
from shoudai.registry.models import ImportBatch

DATA = Path(__file__).parents[2] / "data" / "lists"


def _build(session, tmp_path, src: str, year: int):
    batches = []
    for kind, path in stage_json_dir(DATA / src, tmp_path / src).items():
        b = ImportBatch(kind=kind, file_name=f"{kind}.csv", sha256=f"{src}-{kind}".ljust(64, "0"), file_format="csv",
                        encoding="utf-8", total_rows=1, accepted_rows=1, rejected_rows=0, duplicate_rows=0,
                        staged_path=str(path), actor="test", created_at=datetime.now(UTC))
        session.add(b)
        batches.append(b)
    session.flush()
    return lists.build_version(session, year, *batches, actor="admin")


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_files(session, tmp_path):
    _build(session, tmp_path, "year1", 2024)
    _build(session, tmp_path, "year2", 2025)
    files = export.export_csv(session, 2025, tmp_path / "out")
    assert sorted(p.name for p in files.values()) == ["individual.csv", "removed.csv", "sme.csv"]
    sme = _csv(files["sme"])
    assert {"uscc", "reg_no", "name", "county_code", "tier", "change", "size_class", "reasons"} <= set(sme[0])
    assert len(sme) == 5 and {r["change"] for r in sme} == {"new", "carried"}
    assert {r["county_name"] for r in sme if r["county_code"] == "410783"} == {"长垣市"}
    individual = _csv(files["individual"])
    assert "size_class" not in individual[0]
    assert {r["uscc"]: r["reg_no"] for r in individual}["92410711MA00000344"] == "410711600012345"
    removed = _csv(files["removed"])
    assert list(removed[0])[:3] == ["uscc", "reg_no", "name"]
    assert {r["uscc"]: r["reason"] for r in removed}["91410702MA0000011T"] == "数据源中已无此主体"
    assert len(removed) == 5


def test_csv_keeps_a_legacy_number_where_there_is_no_code(session, tmp_path):
    _build(session, tmp_path, "year1", 2024)
    files = export.export_csv(session, 2024, tmp_path / "out")
    legacy = [r for r in _csv(files["individual"]) if r["reg_no"] == "410711600012345"]
    assert legacy and legacy[0]["uscc"] == ""


def test_workbooks_per_county(session, tmp_path):
    _build(session, tmp_path, "year1", 2024)
    books = export.export_workbooks(session, 2024, tmp_path / "xlsx")
    assert len(books) == 15
    path = tmp_path / "xlsx" / "410702_红旗区.xlsx"
    assert path in books
    wb = openpyxl.load_workbook(path, read_only=False)
    assert wb.sheetnames == ["小微企业无贷户名单", "个体工商户无贷户名单"]
    ws = wb["小微企业无贷户名单"]
    assert ws["A1"].value == "红旗区 2024年小微企业无贷户名单（共7户）"
    assert [c.value for c in ws[2]][:4] == ["序号", "统一社会信用代码", "注册号", "企业名称"]
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["D"].width > 30
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert len(rows) == 7 and [r[0] for r in rows] == list(range(1, 8))
    by_code = {r[1]: r for r in rows}
    assert by_code["91410702MA0000001R"][5] == "张*"  # 法定代表人 masked
    assert by_code["91410702MA0000001R"][8] == "小型" and by_code["91410702MA0000001R"][11] == "新增"
    assert all("三" not in (r[5] or "") for r in rows)
    ind = wb["个体工商户无贷户名单"]
    ind_rows = list(ind.iter_rows(min_row=3, values_only=True))
    assert [(r[3], r[4]) for r in ind_rows] == [("红旗区巳便利店", "韩*")]
    empty = openpyxl.load_workbook(tmp_path / "xlsx" / "410704_凤泉区.xlsx")
    assert empty.sheetnames == ["小微企业无贷户名单", "个体工商户无贷户名单"]
    assert empty["小微企业无贷户名单"].max_row == 2


def test_a_long_list_is_split_across_sheets(session, tmp_path):
    _build(session, tmp_path, "year1", 2024)
    export.export_workbooks(session, 2024, tmp_path / "xlsx", max_data_rows=3)
    wb = openpyxl.load_workbook(tmp_path / "xlsx" / "410702_红旗区.xlsx")
    assert wb.sheetnames == ["小微企业无贷户名单", "小微企业无贷户名单(2)", "小微企业无贷户名单(3)", "个体工商户无贷户名单"]
    counts = [wb[s].max_row - 2 for s in wb.sheetnames[:3]]
    assert counts == [3, 3, 1]
    assert wb["小微企业无贷户名单(3)"]["A3"].value == 7  # numbering continues
    assert wb["小微企业无贷户名单(2)"]["B2"].value == "统一社会信用代码"


def test_workers_give_the_same_books(session, tmp_path):
    _build(session, tmp_path, "year1", 2024)
    books = export.export_workbooks(session, 2024, tmp_path / "xlsx", workers=2)
    assert len(books) == 15 and all(p.stat().st_size > 0 for p in books)


def test_unknown_year(session, tmp_path):
    with pytest.raises(LookupError):
        export.export_csv(session, 2030, tmp_path)
