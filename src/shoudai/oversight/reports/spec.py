"""The 首贷发放明细 columns, header matching, and the pure check of one row (shared by file upload and the API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from shoudai.kit.codes import normalise_resident_id, resident_id_problem, uscc_problem
from shoudai.kit.dates import parse_date
from shoudai.kit.text import compact, squeeze
from shoudai.oversight.money import MoneyError, percent_to_e4, to_decimal, wan_to_fen


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("bank", "金融机构", True, ("金融机构名称", "金融机构代码", "银行", "银行名称", "机构名称", "报送机构")),
    Column("uscc", "借款人统一社会信用代码", False, ("统一社会信用代码", "借款人信用代码", "社会信用代码", "信用代码")),
    Column("person_id", "借款人证件号码", False, ("证件号码", "经营者证件号码", "身份证号码", "借款人身份证号码")),
    Column("name", "借款人名称", True, ("借款人", "借款人姓名", "客户名称", "企业名称")),
    Column("contract_no", "合同编号", True, ("借款合同编号", "贷款合同编号", "合同号")),
    Column("disbursed_on", "发放日期", True, ("放款日期", "贷款发放日期", "发放日")),
    Column("amount", "金额(万元)", True, ("发放金额(万元)", "贷款金额(万元)", "首贷金额(万元)")),
    Column("term", "期限(月)", True, ("贷款期限(月)", "期限")),
    Column("rate", "年利率(%)", True, ("利率(%)", "执行利率(%)", "贷款年利率(%)", "年利率")),
    Column("guarantee_type", "担保方式", True, ("主要担保方式", "担保类型")),
    Column("guarantor", "担保机构", False, ("担保机构名称", "担保公司")),
    Column("guarantee_fee", "担保费率(%)", False, ("担保费率",)),
    Column("county", "行政区划代码", False, ("区划代码", "所属县区代码")),
)
BY_KEY = {c.key: c for c in COLUMNS}

GUARANTEE_TYPES = ("信用", "保证", "抵押", "质押", "政府性融资担保")
GOV_GUARANTEE = "政府性融资担保"
# What banks actually type, normalised to the contract's five values.
_GUARANTEE_ALIASES = {
    "信用贷款": "信用", "纯信用": "信用", "保证贷款": "保证", "抵押贷款": "抵押", "质押贷款": "质押",
    "政府性担保": GOV_GUARANTEE, "政府性融资担保机构担保": GOV_GUARANTEE, "融资担保": GOV_GUARANTEE,
    "政府融资担保": GOV_GUARANTEE,
}
MAX_RATE = Decimal(36)  # above 36 % a year a contract is unenforceable in China; such a row is a typo
LARGE_AMOUNT_FEN = 10_000_000_00  # 1,000 万元: unusual for a first loan to a small business, worth a warning


def _header_key(text: object) -> str:
    return (compact(str(text)) or "").replace("（", "(").replace("）", ")")


_SPELLINGS = {_header_key(s): c.key for c in COLUMNS for s in (c.label, *c.aliases)}


def match_headers(cells: list[object]) -> tuple[dict[str, int], list[str]]:
    """Column key → position for the cells of one row, and the labels of required columns not found."""
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        key = _SPELLINGS.get(_header_key(cell)) if cell not in (None, "") else None
        if key and key not in found:
            found[key] = i
    missing = [c.label for c in COLUMNS if c.required and c.key not in found]
    if "uscc" not in found and "person_id" not in found:
        missing.append("借款人统一社会信用代码（或借款人证件号码）")
    return found, missing


@dataclass(frozen=True)
class Problem:
    """Why a row (or the file) cannot be used: spreadsheet row, column label, Chinese reason."""

    row_no: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"第{self.row_no}行" if self.row_no else "文件"
        col = f"【{self.column}】" if self.column else ""
        return f"{where}{col}：{self.message}"


@dataclass
class LoanRow:
    """One checked loan, normalised: codes canonical, money in fen, rates in 0.0001 %."""

    row_no: int | None
    bank_code: str
    contract_no: str
    borrower_uscc: str | None
    borrower_id: str | None
    borrower_name: str
    disbursed_on: date
    amount_fen: int
    term_months: int
    rate_e4: int
    guarantee_type: str
    guarantor: str | None
    guarantee_fee_e4: int | None
    county_code: str | None
    warnings: list[str] = field(default_factory=list)

    @property
    def period(self) -> str:
        return self.disbursed_on.strftime("%Y-%m")


@dataclass(frozen=True)
class RowContext:
    """What a row is checked against: the uploading bank, the report month, today, the city's division codes."""

    bank_code: str
    bank_spellings: frozenset[str]
    period: str | None  # YYYY-MM; None for the API (any open month)
    today: date
    division_map: dict[str, str]


def check_row(raw: dict[str, object], row_no: int | None, ctx: RowContext) -> LoanRow | list[Problem]:
    """The normalised loan, or every problem found in the row (all of them, not just the first)."""
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(row_no, BY_KEY[key].label, message))

    def text(key: str) -> str | None:
        v = raw.get(key)
        return squeeze(v if isinstance(v, str) or v is None else str(v))

    bank = text("bank")
    if not bank:
        bad("bank", "必填项为空")
    elif compact(bank) not in ctx.bank_spellings:
        bad("bank", f"“{bank}”与报送银行不一致")

    uscc = compact(text("uscc"))
    person = compact(text("person_id"))
    if uscc:
        if why := uscc_problem(uscc):
            bad("uscc", f"统一社会信用代码{why}")
    elif person:
        if why := resident_id_problem(person):
            bad("person_id", f"证件号码{why}")
    else:
        bad("uscc", "借款人统一社会信用代码与借款人证件号码不能同时为空")

    name = text("name")
    if not name:
        bad("name", "必填项为空")

    contract = text("contract_no")
    if not contract:
        bad("contract_no", "必填项为空")
    elif len(contract) > 64:
        bad("contract_no", "超过64个字符")

    day = _check_date(raw.get("disbursed_on"), ctx, bad)
    amount = _check_amount(text("amount"), bad)
    term = _check_term(text("term"), bad)
    rate = _check_rate(text("rate"), "rate", bad, upper=MAX_RATE, positive=True)

    gtype_raw = text("guarantee_type")
    gtype = _GUARANTEE_ALIASES.get(gtype_raw or "", gtype_raw)
    if not gtype:
        bad("guarantee_type", "必填项为空")
    elif gtype not in GUARANTEE_TYPES:
        bad("guarantee_type", f"“{gtype_raw}”不是有效的担保方式（应为{'、'.join(GUARANTEE_TYPES)}）")
    guarantor = text("guarantor")
    if gtype == GOV_GUARANTEE and not guarantor:
        bad("guarantor", "担保方式为政府性融资担保时必须填写担保机构")
    fee = _check_rate(text("guarantee_fee"), "guarantee_fee", bad, upper=Decimal(10), positive=False)

    county_raw = compact(text("county"))
    county = None
    if county_raw:
        county = ctx.division_map.get(county_raw)
        if county is None:
            bad("county", f"“{county_raw}”不是本市的行政区划代码")

    if problems:
        return problems
    warnings = []
    if amount is not None and amount > LARGE_AMOUNT_FEN:
        warnings.append("单笔金额超过1000万元，请核实是否为小微企业首贷")
    if gtype != GOV_GUARANTEE and guarantor:
        warnings.append("担保方式不是政府性融资担保，担保机构仅作记录")
    return LoanRow(
        row_no, ctx.bank_code, contract, uscc or None, None if uscc else normalise_resident_id(person), name,
        day, amount, term, rate, gtype, guarantor, fee, county, warnings,
    )


def _check_date(raw: object, ctx: RowContext, bad) -> date | None:
    if raw in (None, ""):
        bad("disbursed_on", "必填项为空")
        return None
    day = parse_date(raw if not isinstance(raw, (int, float)) else str(int(raw)))
    if day is None:
        bad("disbursed_on", f"“{raw}”不是有效日期（应如2023-05-06、2023/5/6或20230506）")
        return None
    if day > ctx.today:
        bad("disbursed_on", "发放日期晚于今天")
    elif ctx.period and day.strftime("%Y-%m") != ctx.period:
        y, m = ctx.period.split("-")
        bad("disbursed_on", f"发放日期不在报送月份（{y}年{int(m)}月）内")
    return day


def _check_amount(raw: str | None, bad) -> int | None:
    if not raw:
        bad("amount", "必填项为空")
        return None
    try:
        fen = wan_to_fen(raw)
    except MoneyError as exc:
        bad("amount", f"“{raw}”{exc}")
        return None
    if fen <= 0:
        bad("amount", "金额必须大于0")
        return None
    return fen


def _check_term(raw: str | None, bad) -> int | None:
    if not raw:
        bad("term", "必填项为空")
        return None
    try:
        value = to_decimal(raw)
    except MoneyError:
        value = None
    if value is None or value != value.to_integral_value() or not 1 <= value <= 600:
        bad("term", f"“{raw}”不是有效的月数（1至600的整数）")
        return None
    return int(value)


def _check_rate(raw: str | None, key: str, bad, *, upper: Decimal, positive: bool) -> int | None:
    if not raw:
        if BY_KEY[key].required:
            bad(key, "必填项为空")
        return None
    try:
        value = to_decimal(raw.rstrip("%"))
        e4 = percent_to_e4(value)
    except MoneyError as exc:
        bad(key, f"“{raw}”{exc}")
        return None
    if value > upper or value < 0 or (positive and value == 0):
        bad(key, f"“{raw}”超出合理范围（0至{upper}%）")
        return None
    return e4
