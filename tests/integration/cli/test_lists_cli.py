"""`shoudai lists build/summary/export` end to end: agency CSV files → importer → build → stored lists → exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from shoudai.cli import app
from shoudai.registry.models import ListEntry, ListRemoval, ListVersion

DATA = Path(__file__).parents[2] / "data" / "lists"
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(n: int) -> str:
    body = f"41070219{80 + n % 20:02d}0101{n:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, W, strict=True)) % 11]


def write_agency_files(src: Path, out: Path) -> dict[str, Path]:
    """The JSON fixtures as the agencies' CSV files (Chinese headers); stand-in person keys become real ID numbers."""
    ids: dict[str, str] = {}

    def pid(key):
        return ids.setdefault(key, resident_id(len(ids) + 1)) if key else ""

    out.mkdir(parents=True, exist_ok=True)
    rows = json.loads((src / "registry.json").read_text("utf-8"))
    reg = [{"统一社会信用代码": r.get("uscc") or "", "注册号": r.get("reg_no") or "", "主体名称": r["name"],
            "主体类型": r["registry_type"], "法定代表人": r["legal_rep"], "证件号码": pid(r.get("person_key")),
            "成立日期": r["established_on"], "登记状态": r["status"], "行政区划代码": r["county_code"],
            "行业代码": r.get("industry_code") or "", "住所": r.get("address") or ""} for r in rows]
    tax = []
    for t in json.loads((src / "tax.json").read_text("utf-8")):
        tid = t["taxpayer_id"]
        if t.get("id_form") == "person20":
            tid = pid(t["person_key"]) + "01"
        elif t.get("id_form") == "person18":
            tid = pid(t["person_key"])
        tax.append({"纳税人识别号": tid, "纳税人名称": t["name"], "纳税人状态": t["tax_status"],
                    "纳税信用等级": t.get("tax_grade") or "", "上年营业收入(万元)": t.get("revenue") or "",
                    "从业人数": "" if t.get("employees") is None else t["employees"],
                    "资产总额(万元)": t.get("assets") or ""})
    credit = [{"主体标识": c["uscc"] if c["id_type"] == "uscc" else pid(c["person_key"]),
               "标识类型": "统一社会信用代码" if c["id_type"] == "uscc" else "居民身份证",
               "有贷款记录": "是" if c["has_loan"] else "否", "有票据贴现记录": "是" if c["has_discount"] else "否",
               "首次贷款日期": c.get("first_loan_on") or ""} for c in json.loads((src / "credit.json").read_text("utf-8"))]
    files = {}
    for kind, data in (("registry", reg), ("tax", tax), ("credit", credit)):
        path = out / f"{kind}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(data[0]))
            w.writeheader()
            w.writerows(data)
        files[kind] = path
    return files


def _build(runner, files, year, *extra):
    return runner.invoke(app, ["lists", "build", "--registry", str(files["registry"]), "--tax", str(files["tax"]),
                               "--credit", str(files["credit"]), "--year", str(year), *extra])


@pytest.fixture
def runner():
    return CliRunner()


def test_build_two_years_then_summary_and_export(db_url, tmp_path, runner):
    y1 = write_agency_files(DATA / "year1", tmp_path / "in1")
    result = _build(runner, y1, 2024)
    assert result.exit_code == 0, result.output
    assert "2024 年两张无贷户名单" in result.output and "红旗区" in result.output and "合计" in result.output

    y2 = write_agency_files(DATA / "year2", tmp_path / "in2")
    result = _build(runner, y2, 2025, "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "已导出" in result.output

    eng = create_engine(db_url)
    with eng.connect() as conn:
        v1, v2 = conn.execute(select(ListVersion).order_by(ListVersion.year)).all()
        assert (v1.sme_count, v1.individual_count) == (9, 2)
        assert (v2.new_count, v2.carried_count, v2.removed_count) == (1, 6, 5)
        keys = set(conn.scalars(select(ListEntry.entity_key).where(ListEntry.version_id == v1.id)))
        assert "R:410711600012345" in keys and "91410702MA0000007C" in keys  # legacy number; rep's loan ignored
        assert "92410702MA0000031R" not in keys  # operator's discount record counts
        tiers = {k: t for k, t in conn.execute(select(ListEntry.entity_key, ListEntry.tier)
                                                 .where(ListEntry.version_id == v1.id))}
        assert tiers["92410702MA0000032W"] == "A"  # linked through the operator's 20-char taxpayer ID
        assert tiers["91410702317000008U"] == "A"  # linked through the legacy 15-char taxpayer ID
        reasons = {k: r for k, r in conn.execute(select(ListRemoval.entity_key, ListRemoval.reason_code)
                                                 .where(ListRemoval.version_id == v2.id))}
        assert reasons["91410702MA0000011T"] == "gone" and reasons["91410702MA00000030"] == "converted"
    eng.dispose()

    out = tmp_path / "out"
    assert {p.name for p in out.glob("*.csv")} == {"sme.csv", "individual.csv", "removed.csv"}
    assert len(list((out / "excel").glob("*.xlsx"))) == 15
    wb = openpyxl.load_workbook(out / "excel" / "410783_长垣市.xlsx")
    assert wb["小微企业无贷户名单"]["B3"].value == "91410728MA0000013N"

    result = runner.invoke(app, ["lists", "summary", "--year", "2025"])
    assert result.exit_code == 0 and "长垣市" in result.output
    result = runner.invoke(app, ["lists", "export", "--year", "2024", "--out", str(tmp_path / "o2"), "--no-excel"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o2" / "sme.csv").read_text("utf-8").count("\n") == 10  # header + 9


def test_rebuilding_with_the_same_files_changes_nothing(db_url, tmp_path, runner):
    y1 = write_agency_files(DATA / "year1", tmp_path / "in1")
    assert _build(runner, y1, 2024).exit_code == 0
    eng = create_engine(db_url)
    with eng.connect() as conn:
        first = conn.execute(select(ListVersion.id, ListVersion.content_digest)).one()
    again = _build(runner, y1, 2024)
    assert again.exit_code == 0 and "此前已导入同一文件" in again.output
    with eng.connect() as conn:
        assert conn.execute(select(ListVersion.id, ListVersion.content_digest)).all() == [first]
        assert len(conn.scalars(select(ListEntry.id)).all()) == 11
    eng.dispose()


def test_rebuilding_a_year_tells_which_later_year_to_build_again(db_url, tmp_path, runner):
    y1 = write_agency_files(DATA / "year1", tmp_path / "in1")
    y2 = write_agency_files(DATA / "year2", tmp_path / "in2")
    assert _build(runner, y1, 2024).exit_code == 0
    result = _build(runner, y2, 2025)
    assert result.exit_code == 0 and "注意" not in result.output

    result = _build(runner, y1, 2024)
    assert result.exit_code == 0, result.output
    said = result.output.replace("\n", "")  # the console wraps long lines
    assert "2025 年名单的新增、存量和移出不是对照现有的 2024 年名单算出的" in said and "--year 2025" in said
    summary = runner.invoke(app, ["lists", "summary", "--year", "2024"]).output.replace("\n", "")
    assert "请用 2025 年的三份数据重新生成" in summary

    result = _build(runner, y2, 2025)
    assert result.exit_code == 0 and "注意" not in result.output


def test_unknown_year_and_bad_engine(db_url, tmp_path, runner):
    assert runner.invoke(app, ["lists", "summary", "--year", "2030"]).exit_code == 1
    y1 = write_agency_files(DATA / "year1", tmp_path / "in1")
    assert _build(runner, y1, 2024, "--engine", "oracle").exit_code != 0
