"""Every build rule of docs/design/two-lists.md on a hand-made city; the expected lists are written out by hand."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shoudai.pipeline.build import ENTRY_COLUMNS, content_digest, run_build
from shoudai.pipeline.engines.duckdb import DuckDBEngine
from shoudai.pipeline.staged import stage_json_dir

DATA = Path(__file__).parents[2] / "data" / "lists"

# entity_key: (list_kind, tier, size_class, county_code)
YEAR1 = {
    "91410702MA0000001R": ("sme", "A", "small", "410702"),  # first of two registry rows wins
    "91410702MA0000002W": ("sme", "B", "micro", "410702"),  # grade C; a credit row without loan/discount is no hit
    "91410702MA00000030": ("sme", "C", "unknown", "410702"),  # no tax row → tier C, size unknown
    "91410702MA0000007C": ("sme", "C", "unknown", "410702"),  # legal rep's personal loan does not count
    "91410702317000008U": ("sme", "A", "micro", "410702"),  # linked through a legacy 15-char taxpayer ID
    "91410702MA0000011T": ("sme", "B", "small", "410702"),  # 5000 people but 1999万元: both bounds needed → small
    "91410702MA0000012X": ("sme", "B", "unknown", "410702"),  # transport rule, revenue missing → unknown
    "91410728MA0000013N": ("sme", "C", "unknown", "410783"),  # 410728 长垣县 → 410783 长垣市
    "93410725MA00000210": ("sme", "B", "micro", "410725"),  # cooperative → SME list; agriculture, 40万元
    "92410702MA0000032W": ("individual", "A", None, "410702"),  # linked through the operator's 20-char tax ID
    "R:410711600012345": ("individual", "C", None, "410711"),  # only a legacy 注册号
}
# entity_key: exclusion reason (entities on no list)
EXCLUDED1 = {
    "91410702MA00000043": "deregistered",
    "91410702MA00000056": "tax_abnormal",
    "91410702MA00000069": "converted",
    "91410702MA0000009J": "size_grown",  # large
    "91410702MA0000010P": "size_grown",  # medium: 350 people and 2000万元
    "92410702MA0000031R": "converted",  # operator's discount record
    "114107000000000416": "not_eligible",
}


def build(tmp_path: Path, year: int, src: str, previous: Path | None = None):
    staged = stage_json_dir(DATA / src, tmp_path / f"staged{year}")
    engine = DuckDBEngine(threads=1)
    out = run_build(engine, year=year, previous_entries=previous, out_dir=tmp_path / str(year), **staged)
    classified = engine.fetch_arrow("SELECT entity_key, reason_code FROM classified").to_pylist()
    engine.close()
    entries = {r["entity_key"]: r for r in pq.read_table(out.entries_path).to_pylist()}
    removals = {r["entity_key"]: r for r in pq.read_table(out.removals_path).to_pylist()}
    return out, entries, removals, {r["entity_key"]: r["reason_code"] for r in classified}


def test_year_one_lists_are_exactly_the_hand_made_expectation(tmp_path):
    _, entries, removals, reasons = build(tmp_path, 2024, "year1")
    got = {k: (e["list_kind"], e["tier"], e["size_class"], e["county_code"]) for k, e in entries.items()}
    assert got == YEAR1
    assert {k: v for k, v in reasons.items() if v} == EXCLUDED1
    assert removals == {}
    assert {e["change"] for e in entries.values()} == {"new"}
    assert {e["first_listed_year"] for e in entries.values()} == {2024}


def test_entry_fields_and_reasons(tmp_path):
    _, entries, _, _ = build(tmp_path, 2024, "year1")
    first = entries["91410702MA0000001R"]
    assert first["name"] == "新乡市甲机械有限公司"
    assert first["legal_rep_masked"] == "张*"
    assert first["established_on"] == "2015-03-02"
    assert first["industry_section"] == "C"
    assert first["reasons"] == "登记状态：存续；纳税：正常（信用等级A）；征信：无贷款及票据贴现记录；规模：小型"
    assert entries["91410702317000008U"]["reasons"] == (
        "登记状态：存续；纳税：正常（信用等级B，按原纳税人识别号关联）；征信：无贷款及票据贴现记录；规模：微型"
    )
    assert entries["92410702MA0000032W"]["reasons"] == (
        "登记状态：存续；纳税：正常（信用等级M，按经营者身份关联）；征信：无贷款及票据贴现记录"
    )
    assert entries["R:410711600012345"]["reasons"] == "登记状态：在业；纳税：无税务登记信息（仅有登记数据）；征信：无贷款及票据贴现记录"
    assert entries["R:410711600012345"]["uscc"] is None
    assert entries["R:410711600012345"]["reg_no"] == "410711600012345"
    assert "规模：无法判定" in entries["91410702MA0000012X"]["reasons"]
    assert "未评信用等级" in entries["91410702MA0000012X"]["reasons"]
    assert entries["91410702MA0000011T"]["industry_code"] == "2614"


def test_year_two_marks_new_carried_and_removed_with_reasons(tmp_path):
    out1, _, _, _ = build(tmp_path, 2024, "year1")
    _, entries, removals, _ = build(tmp_path, 2025, "year2", previous=out1.entries_path)
    changes = {k: (e["change"], e["first_listed_year"]) for k, e in entries.items()}
    assert changes == {
        "91410702MA0000001R": ("carried", 2024),
        "91410702MA0000012X": ("carried", 2024),
        "91410728MA0000013N": ("carried", 2024),
        "93410725MA00000210": ("carried", 2024),
        "92410702MA0000032W": ("carried", 2024),
        "92410711MA00000344": ("carried", 2024),  # got a code; matched by its old 注册号
        "91410702MA0000051Y": ("new", 2025),
    }
    assert {k: (r["reason_code"], r["reason"]) for k, r in removals.items()} == {
        "91410702MA0000002W": ("deregistered", "已注销/吊销/迁出"),
        "91410702MA00000030": ("converted", "已获得贷款或票据贴现（转化为首贷户）"),
        "91410702MA0000007C": ("tax_abnormal", "纳税状态异常"),
        "91410702317000008U": ("size_grown", "规模超出小微标准"),
        "91410702MA0000011T": ("gone", "数据源中已无此主体"),
    }
    assert removals["91410702MA0000002W"]["name"] == "新乡市乙商贸有限公司"
    assert entries["91410702MA0000051Y"]["legal_rep_masked"] == "欧*"


def test_same_inputs_give_the_same_digest_and_columns(tmp_path):
    out_a, _, _, _ = build(tmp_path / "a", 2024, "year1")
    out_b, _, _, _ = build(tmp_path / "b", 2024, "year1")
    assert tuple(pq.read_schema(out_a.entries_path).names) == ENTRY_COLUMNS
    digest = content_digest(out_a.entries_path)
    assert len(digest) == 64
    assert digest == content_digest(out_b.entries_path)


def test_digest_changes_with_content(tmp_path):
    out1, _, _, _ = build(tmp_path, 2024, "year1")
    out2, _, _, _ = build(tmp_path, 2025, "year2", previous=out1.entries_path)
    assert content_digest(out1.entries_path) != content_digest(out2.entries_path)


@pytest.mark.parametrize("missing", ["tax", "credit"])
def test_empty_sources_keep_everyone_operating(tmp_path, missing):
    staged = stage_json_dir(DATA / "year1", tmp_path / "staged")
    from shoudai.pipeline.staged import write_staged

    staged[missing] = write_staged(missing, [], tmp_path / f"empty-{missing}.parquet")
    with DuckDBEngine(threads=1) as engine:
        out = run_build(engine, year=2024, previous_entries=None, out_dir=tmp_path / "out", **staged)
    entries = pq.read_table(out.entries_path).to_pylist()
    if missing == "tax":
        assert {e["tier"] for e in entries} == {"C"}
        assert "91410702MA00000056" in {e["entity_key"] for e in entries}  # nothing says its tax is abnormal now
    else:
        assert "91410702MA00000069" in {e["entity_key"] for e in entries}


def test_one_engine_can_build_two_years_in_a_row(tmp_path):
    """Re-registering an input under the same name must replace it (an Arrow stand-in shadowed the Parquet once)."""
    with DuckDBEngine(threads=1) as engine:
        out1 = run_build(engine, year=2024, previous_entries=None, out_dir=tmp_path / "1",
                         **stage_json_dir(DATA / "year1", tmp_path / "s1"))
        out2 = run_build(engine, year=2025, previous_entries=out1.entries_path, out_dir=tmp_path / "2",
                         **stage_json_dir(DATA / "year2", tmp_path / "s2"))
    changes = pq.read_table(out2.entries_path).column("change").to_pylist()
    assert sorted(changes) == ["carried"] * 6 + ["new"]


def test_digest_does_not_depend_on_row_order_in_the_file(tmp_path):
    out, _, _, _ = build(tmp_path, 2024, "year1")
    table = pq.read_table(out.entries_path)
    shuffled = tmp_path / "shuffled.parquet"
    pq.write_table(table.take(list(reversed(range(table.num_rows)))), shuffled)
    assert content_digest(shuffled) == content_digest(out.entries_path)
