"""import_file end to end on the hand-made agency files in tests/data/import, on both databases."""

import csv
import hashlib
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from shoudai.config import get_settings
from shoudai.registry.importer import ImportFileError, import_file
from shoudai.registry.importer.validate import STAGED
from shoudai.registry.models import ImportBatch

DATA = Path(__file__).parents[3] / "data" / "import"
BLIND = "demo-blind-index-key-change-me"


def rows(path: str) -> list[dict]:
    con = duckdb.connect()
    cur = con.execute(f"SELECT * FROM read_parquet('{path}') ORDER BY row_no")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def rejects(path: str) -> list[dict]:
    raw = Path(path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to see UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def files_under(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


def test_registry_file_is_validated_normalised_and_staged(session):
    outcome = import_file(session, DATA / "registry.csv", "registry", actor="clerk")
    batch = outcome.batch
    assert outcome.created and batch.id is not None
    assert (batch.kind, batch.file_format, batch.encoding, batch.actor) == ("registry", "csv", "utf-8", "clerk")
    assert (batch.total_rows, batch.accepted_rows, batch.rejected_rows, batch.duplicate_rows) == (10, 5, 4, 1)
    digest = hashlib.sha256((DATA / "registry.csv").read_bytes()).hexdigest()
    assert batch.sha256 == digest
    assert batch.staged_path == str((get_settings().data_dir / "imports" / "registry" / f"{digest}.parquet").resolve())

    con = duckdb.connect()
    schema = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{batch.staged_path}')").fetchall()
    assert [(c[0], c[1]) for c in schema] == list(STAGED["registry"])

    staged = {r["row_no"]: r for r in rows(batch.staged_path)}
    assert sorted(staged) == [2, 3, 8, 9, 10]  # 4–7 rejected, 11 a duplicate of 2
    first = staged[2]
    assert first["uscc"] == "91410702MA44ABCD1B" and first["entity_kind"] == "enterprise"
    assert first["person_id"] == "410702197512314564"
    assert first["person_key"] == hashlib.sha256(f"{BLIND}|410702197512314564".encode()).hexdigest()
    assert first["registered_capital"] == Decimal("100.0000") and first["established_on"] == date(2023, 5, 6)

    fullwidth = staged[3]  # full-width code with stray spaces, legacy county, industry without its letter
    assert fullwidth["uscc"] == "92410783MA45XY0212" and fullwidth["entity_kind"] == "individual"
    assert fullwidth["name"] == "长垣市 鑫源五金店"
    assert fullwidth["county_code"] == "410783"
    assert fullwidth["industry_code"] == "F5211"
    assert fullwidth["person_id"] == "410728198001011236"
    assert fullwidth["established_on"] == date(2023, 5, 6) and fullwidth["registered_capital"] == Decimal("5.5")

    ignored = staged[8]  # bad ID, negative capital, bad industry: fields dropped, row kept
    assert (ignored["person_id"], ignored["person_key"], ignored["registered_capital"], ignored["industry_code"]) == (
        None, None, None, None)
    assert ignored["established_on"] == date(2023, 5, 6)  # 20230506
    assert staged[9]["established_on"] == date(2023, 5, 6)  # Excel serial 45052
    assert staged[9]["industry_code"] == "E4711" and staged[9]["status"] == "注销"
    legacy = staged[10]
    assert legacy["uscc"] is None and legacy["reg_no"] == "410700600012345" and legacy["entity_kind"] == "individual"


def test_registry_rejects_report_names_file_row_column_value_and_reason(session):
    outcome = import_file(session, DATA / "registry.csv", "registry", actor="clerk")
    report = rejects(outcome.batch.rejects_path)
    assert outcome.problems_count == len(report) == 8
    assert list(report[0]) == ["文件", "行号", "列", "值", "原因", "处理"]
    got = {(r["行号"], r["列"]): (r["值"], r["原因"], r["处理"]) for r in report}
    assert all(r["文件"] == "registry.csv" for r in report)
    assert got[("4", "统一社会信用代码")] == ("91410711317654321E", "校验位错误", "已拒绝该行")
    assert got[("5", "主体名称")] == ("", "必填项为空", "已拒绝该行")
    assert got[("6", "行政区划代码")] == ("410101", "不是本市的行政区划代码", "已拒绝该行")
    assert got[("7", "成立日期")] == ("2023-02-30", "日期无法识别或不存在", "已拒绝该行")
    assert got[("8", "证件号码")] == ("410782199006157895", "证件号码校验位错误", "已忽略该字段")
    assert got[("8", "注册资本(万元)")] == ("-5", "金额不能为负数", "已忽略该字段")
    assert got[("8", "行业代码")] == ("Z99", "行业代码格式错误", "已忽略该字段")
    assert got[("9", "注册资本(万元)")] == ("abc", "不是有效数字", "已忽略该字段")

    sheet = CalamineWorkbook.from_path(outcome.batch.rejects_path.replace(".csv", ".xlsx")).get_sheet_by_index(0)
    table = sheet.to_python()
    assert table[0] == ["文件", "行号", "列", "值", "原因", "处理"]
    assert len(table) == 1 + len(report)
    assert table[1][:3] == ["registry.csv", 4, "统一社会信用代码"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_other_encodings_give_the_same_staged_rows(session, tmp_path, encoding):
    text = (DATA / "registry.csv").read_text("utf-8")
    other = tmp_path / f"registry-{encoding}.csv"
    other.write_text(text, encoding=encoding)
    reference = import_file(session, DATA / "registry.csv", "registry", actor="clerk").batch
    outcome = import_file(session, other, "registry", actor="clerk")
    assert outcome.created and outcome.batch.encoding == encoding
    assert rows(outcome.batch.staged_path) == rows(reference.staged_path)


def test_gb18030_that_starts_in_plain_ascii_is_still_read(session, tmp_path, monkeypatch):
    from shoudai.registry.importer import readers

    header = "主体标识,标识类型,有贷款记录,有票据贴现记录,首次贷款日期"
    ascii_rows = [f"91410702MA44ABCD1B,USCC,Y,N,2020010{i % 9 + 1}" for i in range(20)]
    chinese_rows = (DATA / "credit.csv").read_text("utf-8").splitlines()[1:]
    path = tmp_path / "credit-gb.csv"
    path.write_bytes(("\n".join([header, *ascii_rows, *chinese_rows]) + "\n").encode("gb18030"))
    # Only the header and plain ASCII rows fit in the sniffed head, so it looks like UTF-8 at first.
    monkeypatch.setattr(readers, "HEAD_BYTES", len(header.encode("gb18030")) + 120)
    outcome = import_file(session, path, "credit", actor="clerk")
    assert outcome.batch.encoding == "gb18030"
    assert outcome.batch.total_rows == 26
    assert rows(outcome.batch.staged_path)[-1]["person_key"] is not None  # 居民身份证 read correctly


def test_header_aliases_any_order_and_unknown_columns(session, tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text(
        "备注,成立时间,企业名称,社会信用代码,经营状态,区划代码,法定代表人/经营者,企业类型,注册资本（万元）\n"
        "x,2023-05-06,新乡市宏达商贸有限公司,91410702MA44ABCD1B,存续,410702,张伟,有限责任公司(自然人独资),100\n",
        encoding="utf-8",
    )
    outcome = import_file(session, path, "registry", actor="clerk")
    (row,) = rows(outcome.batch.staged_path)
    assert row["uscc"] == "91410702MA44ABCD1B" and row["name"] == "新乡市宏达商贸有限公司"
    assert row["registered_capital"] == Decimal(100) and row["status"] == "存续" and row["legal_rep"] == "张伟"
    assert row["person_id"] is None and row["address"] is None
    assert outcome.problems_count == 0 and outcome.batch.rejects_path is None


def _xlsx(path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("说明").write(0, 0, "本文件由市场监管局导出")
    sheet = book.add_worksheet("登记信息")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["市场主体登记信息（导出）"])  # a title row above the header
    sheet.write_row(1, 0, ["主体名称", "统一社会信用代码", "主体类型", "法定代表人", "成立日期", "登记状态", "行政区划代码",
                           "注册资本(万元)", "证件号码", "行业代码"])
    from datetime import datetime

    sheet.write_row(2, 0, ["新乡市宏达商贸有限公司", "91410702MA44ABCD1B", "有限责任公司(自然人独资)", "张伟"])
    sheet.write_datetime(2, 4, datetime(2023, 5, 6), day)
    sheet.write_row(2, 5, ["存续", 410702, 100.5, "410702197512314564", 5123])
    sheet.write_row(3, 0, ["长垣市鑫源五金店", "９２４１０７８３ＭＡ４５ＸＹ０２１２", "个体工商户", "王芳", "2023/5/6", "在业",
                           "410728", 5, None, "F5211"])
    sheet.write_row(5, 0, ["坏代码", "91410711317654321E", "个体工商户", "某", 45052, "存续", 410702])
    book.close()


def test_xlsx_with_title_row_date_cells_and_numbers(session, tmp_path):
    path = tmp_path / "registry.xlsx"
    _xlsx(path)
    outcome = import_file(session, path, "registry", actor="clerk")
    batch = outcome.batch
    assert (batch.file_format, batch.encoding) == ("xlsx", None)
    assert (batch.total_rows, batch.accepted_rows, batch.rejected_rows) == (3, 2, 1)  # the blank row 5 is not data
    staged = {r["row_no"]: r for r in rows(batch.staged_path)}
    assert staged[3]["established_on"] == date(2023, 5, 6) and staged[3]["county_code"] == "410702"
    assert staged[3]["registered_capital"] == Decimal("100.5") and staged[3]["industry_code"] == "F5123"
    assert staged[4]["uscc"] == "92410783MA45XY0212" and staged[4]["county_code"] == "410783"
    (problem,) = rejects(batch.rejects_path)
    assert (problem["行号"], problem["列"], problem["原因"]) == ("6", "统一社会信用代码", "校验位错误")


def test_missing_required_column_rejects_the_file_and_writes_nothing(session, tmp_path):
    path = tmp_path / "no-code.csv"
    path.write_text("主体名称,主体类型,法定代表人,成立日期,登记状态,行政区划代码\n某公司,个体工商户,张三,2023-01-01,存续,410702\n",
                    encoding="utf-8")
    with pytest.raises(ImportFileError, match="缺少必填列：统一社会信用代码"):
        import_file(session, path, "registry", actor="clerk")
    assert files_under(get_settings().data_dir / "imports") == []
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "文件为空"), (b"\xef\xbb\xbf\r\n", "文件为空"),
     ("主体标识,标识类型,有贷款记录,有票据贴现记录\n".encode(), "没有数据行"),
     ("名字,年龄\n张三,3\n".encode(), "找不到表头"),
     (b"\x81\x30\xff\xff\xfe\x00\x01" * 10, "编码")],
)
def test_unusable_files_are_refused_with_a_chinese_message(session, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        import_file(session, path, "credit", actor="clerk")
    assert files_under(get_settings().data_dir / "imports") == []
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_reimporting_the_same_file_changes_nothing(session, tmp_path):
    first = import_file(session, DATA / "registry.csv", "registry", actor="clerk")
    staged = Path(first.batch.staged_path)
    before = staged.stat().st_mtime_ns
    copy = tmp_path / "renamed.csv"
    copy.write_bytes((DATA / "registry.csv").read_bytes())
    again = import_file(session, copy, "registry", actor="someone-else")
    assert again.created is False and again.batch.id == first.batch.id
    assert again.problems_count == first.problems_count
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    assert staged.stat().st_mtime_ns == before
    # the same bytes as another kind are another import
    assert session.scalar(select(func.count()).select_from(ImportBatch).where(ImportBatch.kind == "tax")) == 0


def test_tax_file_identifier_forms_and_optional_fields(session):
    outcome = import_file(session, DATA / "tax.csv", "tax", actor="clerk")
    batch = outcome.batch
    assert (batch.total_rows, batch.accepted_rows, batch.rejected_rows) == (8, 6, 2)
    staged = {r["row_no"]: r for r in rows(batch.staged_path)}
    assert staged[2]["id_form"] == "uscc" and staged[2]["uscc"] == "91410702MA44ABCD1B"
    assert staged[2]["revenue"] == Decimal("1234.5") and staged[2]["employees"] == 12 and staged[2]["tax_grade"] == "A"
    assert staged[3]["id_form"] == "legacy15" and staged[3]["org_code"] == "600123456" and staged[3]["uscc"] is None
    key = hashlib.sha256(f"{BLIND}|410782199006157894".encode()).hexdigest()
    assert (staged[4]["id_form"], staged[4]["person_key"], staged[4]["tax_status"]) == ("person18", key, "非正常")
    assert (staged[5]["id_form"], staged[5]["person_key"]) == ("person20", key)
    assert (staged[6]["id_form"], staged[6]["uscc"], staged[6]["person_key"]) == ("other", None, None)
    bad = staged[7]
    assert (bad["tax_grade"], bad["revenue"], bad["employees"], bad["assets"], bad["county_code"]) == (
        None, None, None, None, None)
    got = {(r["行号"], r["列"]): (r["原因"], r["处理"]) for r in rejects(batch.rejects_path)}
    assert got[("7", "上年营业收入(万元)")] == ("金额不能为负数", "已忽略该字段")
    assert got[("7", "从业人数")][1] == "已忽略该字段"
    assert got[("7", "资产总额(万元)")] == ("不是有效数字", "已忽略该字段")
    assert got[("8", "纳税人识别号")] == ("必填项为空", "已拒绝该行")
    assert got[("9", "纳税人状态")][1] == "已拒绝该行"
    assert outcome.problems_count == 7


def test_credit_file(session):
    outcome = import_file(session, DATA / "credit.csv", "credit", actor="clerk")
    batch = outcome.batch
    assert (batch.total_rows, batch.accepted_rows, batch.rejected_rows) == (6, 2, 4)
    staged = {r["row_no"]: r for r in rows(batch.staged_path)}
    assert staged[2] == {"row_no": 2, "subject_id": "91410702MA44ABCD1B", "id_type": "uscc", "uscc": "91410702MA44ABCD1B",
                         "person_key": None, "has_loan": True, "has_discount": False, "first_loan_on": date(2019, 5, 1)}
    key = hashlib.sha256(f"{BLIND}|410782199006157894".encode()).hexdigest()
    assert (staged[3]["id_type"], staged[3]["uscc"], staged[3]["person_key"]) == ("person", None, key)
    got = {(r["行号"], r["列"]): (r["原因"], r["处理"]) for r in rejects(batch.rejects_path)}
    assert got[("4", "主体标识")] == ("统一社会信用代码校验位错误", "已拒绝该行")
    assert got[("6", "有贷款记录")] == ("应为是或否", "已拒绝该行")
    assert got[("6", "首次贷款日期")] == ("日期无法识别或不存在", "已忽略该字段")
    assert got[("7", "标识类型")][1] == "已拒绝该行"


def test_ragged_rows_are_reported_not_lost(session, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(
        "主体标识,标识类型,有贷款记录,有票据贴现记录\n"
        "91410702MA44ABCD1B,统一社会信用代码,是,否\n"
        "410782199006157894,居民身份证,否\n"
        "92410783MA45XY0212,统一社会信用代码,是,否,2020-01-01,多余\n",
        encoding="utf-8",
    )
    outcome = import_file(session, path, "credit", actor="clerk")
    assert (outcome.batch.total_rows, outcome.batch.accepted_rows, outcome.batch.rejected_rows) == (3, 1, 2)
    got = {(r["行号"], r["列"]): r["原因"] for r in rejects(outcome.batch.rejects_path)}
    assert got[("3", "有票据贴现记录")] == "必填项为空"
    assert got[("4", "（整行）")] == "该行有6列，多于表头的4列"


def test_progress_is_reported_up_to_the_total(session):
    seen = []
    import_file(session, DATA / "registry.csv", "registry", actor="clerk", progress=lambda done, total: seen.append(
        (done, total)))
    assert seen[-1] == (10, 10)
    assert all(done <= total for done, total in seen)


def test_a_value_with_a_line_break_is_one_problem_and_counted_again_on_reimport(session, tmp_path):
    path = tmp_path / "credit-newline.csv"
    path.write_text('主体标识,标识类型,有贷款记录,有票据贴现记录\n91410702MA44ABCD1B,统一社会信用代码,"是\n否",否\n'
                    "92410783MA45XY0212,统一社会信用代码,是,否\n", encoding="utf-8")
    first = import_file(session, path, "credit", actor="clerk")
    assert (first.batch.accepted_rows, first.batch.rejected_rows, first.problems_count) == (1, 1, 1)
    (problem,) = rejects(first.batch.rejects_path)
    assert (problem["行号"], problem["值"]) == ("2", "是\n否")
    again = import_file(session, path, "credit", actor="clerk")
    assert again.created is False and again.problems_count == 1
