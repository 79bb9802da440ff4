import io

import pytest
from rich.console import Console

from shoudai.registry.importer import progress_bar
from shoudai.registry.importer.errors import ImportFileError
from shoudai.registry.importer.readers import detect_encoding, find_header
from shoudai.registry.importer.sources import CREDIT, REGISTRY, TAX, header_key, match_headers


def test_headers_match_through_full_width_spaces_and_bom():
    assert header_key("\ufeff 注册资本（万元） ") == header_key("注册资本(万元)")


def test_aliases_in_any_order_and_unknown_columns_ignored():
    found, missing = match_headers(TAX, ["备注", "税号", "名称", "状态", "信用等级"])
    assert missing == []
    assert found == {"taxpayer_id": 1, "name": 2, "tax_status": 3, "tax_grade": 4}


def test_the_contract_spelling_wins_over_an_alias():
    found, _ = match_headers(REGISTRY, ["名称", "主体名称"])
    assert found["name"] == 1


def test_missing_required_columns_are_named():
    _, missing = match_headers(CREDIT, ["主体标识", "有贷款记录"])
    assert missing == ["标识类型", "有票据贴现记录"]


def test_header_row_may_sit_below_a_title_row():
    rows = [["征信系统比对结果（2025年）"], ["主体标识", "标识类型", "有贷款记录", "有票据贴现记录"], ["x", "y", "是", "否"]]
    index, found, headers = find_header(CREDIT, rows)
    assert index == 1 and found["has_discount"] == 3 and headers[0] == "主体标识"


def test_header_search_reports_the_closest_row():
    with pytest.raises(ImportFileError, match="缺少必填列：有票据贴现记录"):
        find_header(CREDIT, [["主体标识", "标识类型", "有贷款记录"]])


@pytest.mark.parametrize(
    ("head", "encoding"),
    [("主体".encode() + b"\xe6", "utf-8"), (b"\xef\xbb\xbf" + "主体".encode(), "utf-8-sig"),
     ("主体标识".encode("gb18030"), "gb18030"), (b"plain,ascii", "utf-8")],
)
def test_encoding_is_judged_on_the_head_even_when_a_character_is_cut(head, encoding):
    assert detect_encoding(head) == encoding


def test_progress_bar_draws_rows_done_of_total():
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False)
    with progress_bar("导入登记信息", console=console) as update:
        update(5, 10)
        update(10, 10)
    assert "导入登记信息" in out.getvalue() and "10/10" in out.getvalue()
