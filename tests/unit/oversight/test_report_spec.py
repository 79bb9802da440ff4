"""The pure row check and file reader of the 首贷发放明细 (no database)."""

from datetime import date

import pytest

from shoudai.kit.codes import uscc_check_char
from shoudai.oversight.reports.reader import UnusableFile, read_rows
from shoudai.oversight.reports.spec import LoanRow, RowContext, check_row

FIRST17 = "91410702000000001"
CODE = FIRST17 + uscc_check_char(FIRST17)
CTX = RowContext("ICBC", frozenset({"ICBC", "工商银行"}), "2024-03", date(2024, 4, 1), {"410702": "410702",
                                                                                        "410728": "410783"})
GOOD = {"bank": "工商银行", "uscc": f" {CODE.lower()} ", "name": "  某某 商贸  ", "contract_no": "Ｃ-１",
        "disbursed_on": "2024.3.5", "amount": "1,000.5", "term": "12", "rate": "3.85%",
        "guarantee_type": "信用贷款", "county": "410728"}


def test_a_good_row_is_normalised():
    row = check_row(GOOD, 7, CTX)
    assert isinstance(row, LoanRow)
    assert (row.borrower_uscc, row.borrower_name, row.contract_no) == (CODE, "某某 商贸", "C-1")
    assert (row.disbursed_on, row.amount_fen, row.rate_e4) == (date(2024, 3, 5), 1_000_500_000, 38_500)
    assert row.guarantee_type == "信用" and row.county_code == "410783"  # legacy 长垣县 maps forward
    assert row.warnings == ["单笔金额超过1000万元，请核实是否为小微企业首贷"]


@pytest.mark.parametrize(("field", "value", "column", "message"), [
    ("amount", "0", "金额(万元)", "金额必须大于0"),
    ("term", "1.5", "期限(月)", "“1.5”不是有效的月数（1至600的整数）"),
    ("rate", "40", "年利率(%)", "“40”超出合理范围（0至36%）"),
    ("guarantee_type", "房产", "担保方式", "“房产”不是有效的担保方式（应为信用、保证、抵押、质押、政府性融资担保）"),
    ("disbursed_on", "2024-05-01", "发放日期", "发放日期晚于今天"),
    ("county", "110101", "行政区划代码", "“110101”不是本市的行政区划代码"),
    ("uscc", "", "借款人统一社会信用代码", "借款人统一社会信用代码与借款人证件号码不能同时为空"),
])
def test_each_problem_names_row_column_reason(field, value, column, message):
    problems = check_row({**GOOD, field: value}, 9, CTX)
    assert isinstance(problems, list)
    assert [(p.row_no, p.column, p.message) for p in problems] == [(9, column, message)]


def test_reader_finds_the_header_under_a_title_and_skips_blank_rows():
    text = "工商银行首贷发放明细\n金融机构,借款人统一社会信用代码,借款人名称,合同编号,发放日期,金额（万元）,期限（月）,年利率（%）,担保方式\n" \
           f"ICBC,{CODE},甲,1,2024-03-01,1,12,4,信用\n,,,,,,,,\n"
    rows = read_rows(text.encode("gb18030"))
    assert [n for n, _ in rows] == [3] and rows[0][1]["amount"] == "1"


def test_reader_rejects_what_it_cannot_use():
    with pytest.raises(UnusableFile, match="缺少必填列：合同编号"):
        read_rows("金融机构,借款人统一社会信用代码,借款人名称,发放日期,金额(万元),期限(月),年利率(%),担保方式\nx".encode())
    with pytest.raises(UnusableFile, match="没有数据行"):
        read_rows("金融机构,借款人统一社会信用代码,借款人名称,合同编号,发放日期,金额(万元),期限(月),年利率(%),担保方式\n".encode())
    with pytest.raises(UnusableFile, match="找不到表头"):
        read_rows(b"a,b,c\n1,2,3\n")
