import csv
import datetime as dt
import hashlib
import re
from collections import Counter
from decimal import Decimal

import openpyxl
import pytest

from shoudai.synth import codes, generate_city

# DATA-CONTRACTS.md, column by column.
REGISTRY = [
    "统一社会信用代码",
    "注册号",
    "主体名称",
    "主体类型",
    "法定代表人",
    "证件号码",
    "注册资本(万元)",
    "成立日期",
    "登记状态",
    "行政区划代码",
    "行业代码",
    "住所",
    "登记机关",
]
TAX = [
    "纳税人识别号",
    "纳税人名称",
    "纳税人状态",
    "纳税信用等级",
    "行业代码",
    "上年营业收入(万元)",
    "从业人数",
    "资产总额(万元)",
    "上年纳税额(万元)",
    "行政区划代码",
]
CREDIT = ["主体标识", "标识类型", "有贷款记录", "有票据贴现记录", "首次贷款日期"]
FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def rows(path, encoding):
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def norm(code: str) -> str:
    return re.sub(r"\s", "", code.translate(FULLWIDTH)).upper()


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_headers_are_the_contract_columns_plus_one_unknown_column_in_varying_order(city):
    reg = rows(city.registry_csv, "utf-8-sig")[0]
    tax = rows(city.tax_csv, "gb18030")[0]
    cre = rows(city.credit_csv, "utf-8")[0]
    assert [h for h in reg if h in REGISTRY] == REGISTRY and set(reg) - set(REGISTRY) == {"数据提取日期"}
    assert sorted(h for h in tax if h in TAX) == sorted(TAX) and set(tax) - set(TAX) == {"主管税务机关"}
    assert sorted(cre) == sorted(CREDIT)
    assert [h for h in tax if h in TAX] != TAX and cre != CREDIT  # the order is not the contract's
    assert len({len(r) for r in rows(city.registry_csv, "utf-8-sig")}) == 1


def test_encodings(city):
    reg, tax, cre = (p.read_bytes() for p in (city.registry_csv, city.tax_csv, city.credit_csv))
    assert reg.startswith(b"\xef\xbb\xbf") and reg[3:].decode("utf-8")
    assert "纳税人名称" in tax.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        tax.decode("utf-8")
    assert not cre.startswith(b"\xef\xbb\xbf") and "标识类型" in cre.decode("utf-8")
    assert b"\r\n" in tax and b"\r\n" not in reg
    assert city.manifest["encodings"] == {"registry": "utf-8-sig", "tax": "gb18030", "credit": "utf-8"}


def test_same_seed_same_bytes_whatever_the_parallelism(tmp_path, small_city):
    a = small_city.out_dir
    generate_city(3000, 11, tmp_path / "b", workers=1, chunk_size=small_city.manifest["chunk_size"])
    generate_city(3000, 12, tmp_path / "c")
    for name in ("registry.csv", "tax.csv", "credit.csv", "registry.xlsx", "manifest.json"):
        assert sha(a / name) == sha(tmp_path / "b" / name), name
        assert sha(a / name) != sha(tmp_path / "c" / name), name
    for kind in ("registry", "tax", "credit"):
        assert small_city.manifest["files"][kind]["sha256"] == sha(a / f"{kind}.csv")


def test_worker_processes_give_the_same_bytes(tmp_path):
    inline = generate_city(2500, 9, tmp_path / "inline", chunk_size=1000, workers=1)
    spread = generate_city(2500, 9, tmp_path / "spread", chunk_size=1000, workers=2)
    for name in ("registry.csv", "tax.csv", "credit.csv", "registry.xlsx", "manifest.json"):
        assert sha(tmp_path / "inline" / name) == sha(tmp_path / "spread" / name), name
    assert inline.manifest == spread.manifest


def test_a_batch_does_not_depend_on_n(tmp_path):
    small = generate_city(300, 5, tmp_path / "s", chunk_size=100, xlsx=False)
    big = generate_city(500, 5, tmp_path / "b", chunk_size=100, xlsx=False)
    assert big.registry_csv.read_bytes().startswith(small.registry_csv.read_bytes())


def test_check_digits_are_valid_except_the_intended_few(city):
    reg = rows(city.registry_csv, "utf-8-sig")
    h = {name: i for i, name in enumerate(reg[0])}
    bad, codes_seen, ids = 0, 0, 0
    for r in reg[1:]:
        code = norm(r[h["统一社会信用代码"]])
        if code:
            codes_seen += 1
            if not codes.valid_uscc(code):
                bad += 1
                continue
            org = code[8:17]
            values = [int(c) if c.isdigit() else ord(c) - 55 for c in org[:8]]
            c = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
            assert org[8] == {10: "X", 11: "0"}.get(c, str(c)), code
        pid = r[h["证件号码"]]
        if pid:
            ids += 1
            total = sum(
                int(c) * w for c, w in zip(pid, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))
            )
            assert "10X98765432"[total % 11] == pid[-1].upper(), pid
            dt.date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14]))
    assert bad == city.manifest["registry"]["bad_check_digit_rows"]
    assert 0.001 < bad / codes_seen < 0.006
    assert ids > 0.95 * len(reg)


def test_resident_ids_and_codes_are_unique(city):
    reg = rows(city.registry_csv, "utf-8-sig")
    h = {name: i for i, name in enumerate(reg[0])}
    distinct = {tuple(r) for r in reg[1:]}
    ids = [r[h["证件号码"]].upper() for r in distinct if r[h["证件号码"]]]
    assert len(ids) == len(set(ids))
    usccs = [norm(r[h["统一社会信用代码"]]) for r in distinct if r[h["统一社会信用代码"]]]
    assert len(usccs) == len(set(usccs))
    assert len({u[8:17] for u in usccs}) == len(
        usccs
    )  # organisation codes too (legacy tax IDs link through them)


def test_exact_duplicate_rows_are_present_and_counted(city):
    for kind, path, enc in (
        ("registry", city.registry_csv, "utf-8-sig"),
        ("tax", city.tax_csv, "gb18030"),
        ("credit", city.credit_csv, "utf-8"),
    ):
        data = [tuple(r) for r in rows(path, enc)[1:]]
        dups = len(data) - len(set(data))
        assert dups == city.manifest[kind]["duplicate_rows"] > 0
        assert dups / len(data) < 0.005


def test_legacy_rows_and_mess_are_present(city):
    reg = rows(city.registry_csv, "utf-8-sig")
    h = {name: i for i, name in enumerate(reg[0])}
    body = reg[1:]
    reg_only = [r for r in body if not r[h["统一社会信用代码"]]]
    individuals = sum(r[h["主体类型"]] == "个体工商户" for r in body)
    assert 0.01 < len(reg_only) / individuals < 0.04
    assert all(r[h["主体类型"]] == "个体工商户" and re.fullmatch(r"\d{15}", r[h["注册号"]]) for r in reg_only)
    assert sum(r[h["行政区划代码"]] == "410728" for r in body) > 0
    dates = Counter(
        "iso" if re.fullmatch(r"\d{4}-\d\d-\d\d", d) else "slash" if "/" in d else "compact"
        for d in (r[h["成立日期"]] for r in body)
    )
    assert min(dates.values()) > 0.05 * len(body)
    assert any(re.search("[０-９Ａ-Ｚ]", r[h["统一社会信用代码"]]) for r in body)
    assert any(r[h["统一社会信用代码"]] != r[h["统一社会信用代码"]].strip() for r in body)
    assert any(r[h["主体名称"]] != r[h["主体名称"]].strip() for r in body)
    assert any("（" in r[h["主体类型"]] for r in body) and any("(" in r[h["主体类型"]] for r in body)
    assert any(re.fullmatch(r"[A-T]\d{4}", r[h["行业代码"]]) for r in body)
    assert any(re.fullmatch(r"\d{4}", r[h["行业代码"]]) for r in body)


def test_tax_identifier_forms_link_back(city):
    reg = rows(city.registry_csv, "utf-8-sig")
    h = {name: i for i, name in enumerate(reg[0])}
    orgs = {norm(r[h["统一社会信用代码"]])[2:17] for r in reg[1:] if r[h["统一社会信用代码"]]}
    persons = {r[h["证件号码"]].upper() for r in reg[1:] if r[h["主体类型"]] == "个体工商户"}
    tax = rows(city.tax_csv, "gb18030")
    t = {name: i for i, name in enumerate(tax[0])}
    forms = Counter()
    for r in tax[1:]:
        tid = norm(r[t["纳税人识别号"]])
        forms[len(tid)] += 1
        if len(tid) == 15:
            assert tid in orgs  # 6-digit division + 9-char organisation code, as in the entity's code
        if len(tid) == 20:
            assert tid[:18] in persons
    assert forms[15] and forms[20] and forms[18]
    assert any(re.search("[０-９]", r[t["纳税人识别号"]]) for r in tax[1:])


def test_xlsx_holds_the_same_rows(small_city):
    wb = openpyxl.load_workbook(small_city.registry_xlsx, read_only=True)
    assert wb.sheetnames == ["市场主体登记信息"]
    sheet = list(wb.active.iter_rows(values_only=True))
    wb.close()
    csv_rows = rows(small_city.registry_csv, "utf-8-sig")
    assert len(sheet) == len(csv_rows) == small_city.manifest["files"]["registry_xlsx"]["rows"] + 1
    head = csv_rows[0]
    assert list(sheet[0]) == head
    date_col, money_col = head.index("成立日期"), head.index("注册资本(万元)")
    for xl, cs in zip(sheet[1:], csv_rows[1:]):
        for j, (a, b) in enumerate(zip(xl, cs)):
            if j == date_col:
                digits = re.findall(r"\d+", b) if not b.isdigit() else [b[:4], b[4:6], b[6:]]
                assert a.date() == dt.date(*map(int, digits))
            elif j == money_col:
                assert (a is None and b == "") or Decimal(str(a)) == Decimal(b)
            else:
                assert (a or "") == b


def test_no_xlsx_for_a_big_city_unless_asked(tmp_path):
    assert generate_city(50, 1, tmp_path / "x", xlsx=False).registry_xlsx is None
    assert not (tmp_path / "x" / "registry.xlsx").exists()
