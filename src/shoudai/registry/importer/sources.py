"""The three agency files: their columns, which are required, and the header spellings agencies actually use."""

from __future__ import annotations

from dataclasses import dataclass

from shoudai.kit.text import compact


@dataclass(frozen=True)
class Column:
    """One column of an agency file: `key` names it in SQL, `label` is its header in DATA-CONTRACTS."""

    key: str
    label: str
    required: bool
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class Source:
    kind: str
    label: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


REGISTRY = Source(
    "registry",
    "市场主体登记信息",
    (
        Column("uscc", "统一社会信用代码", True, ("社会信用代码", "信用代码", "统一代码")),
        Column("reg_no", "注册号", False, ("工商注册号", "原注册号")),
        Column("name", "主体名称", True, ("企业名称", "名称", "市场主体名称", "字号名称")),
        Column("registry_type", "主体类型", True, ("企业类型", "市场主体类型", "类型")),
        Column(
            "legal_rep",
            "法定代表人",
            True,
            ("法定代表人/经营者", "法定代表人(经营者)", "法定代表人(负责人)", "经营者", "负责人", "执行事务合伙人"),
        ),
        Column(
            "person_id", "证件号码", False, ("身份证号码", "身份证号", "法定代表人证件号码", "经营者证件号码")
        ),
        Column(
            "registered_capital",
            "注册资本(万元)",
            False,
            ("注册资本", "资金数额(万元)", "资金数额", "注册资金(万元)", "出资额(万元)"),
        ),
        Column("established_on", "成立日期", True, ("成立时间", "注册日期")),
        Column("status", "登记状态", True, ("经营状态", "企业状态", "状态")),
        Column("county_code", "行政区划代码", True, ("区划代码", "行政区划")),
        Column("industry_code", "行业代码", False, ("国民经济行业代码", "行业分类代码")),
        Column("address", "住所", False, ("地址", "住所(经营场所)", "经营场所", "注册地址")),
        Column("registrar", "登记机关", False, ("登记机构",)),
    ),
)

TAX = Source(
    "tax",
    "税务登记信息",
    (
        Column("taxpayer_id", "纳税人识别号", True, ("税号", "纳税人识别号/统一社会信用代码", "统一社会信用代码")),
        Column("name", "纳税人名称", True, ("企业名称", "名称")),
        Column("tax_status", "纳税人状态", True, ("纳税状态", "状态")),
        Column("tax_grade", "纳税信用等级", False, ("信用等级", "纳税信用级别")),
        Column("industry_code", "行业代码", False, ("国民经济行业代码",)),
        Column("revenue", "上年营业收入(万元)", False, ("营业收入(万元)", "上年营业收入", "营业收入")),
        Column("employees", "从业人数", False, ("从业人员", "从业人员数", "职工人数")),
        Column("assets", "资产总额(万元)", False, ("资产总额",)),
        Column("tax_paid", "上年纳税额(万元)", False, ("纳税额(万元)", "上年纳税额", "纳税总额(万元)")),
        Column("county_code", "行政区划代码", False, ("区划代码",)),
    ),
)

CREDIT = Source(
    "credit",
    "征信系统比对结果",
    (
        Column("subject_id", "主体标识", True, ("标识号码", "主体标识号码")),
        Column("id_type", "标识类型", True, ("主体标识类型",)),
        Column("has_loan", "有贷款记录", True, ("是否有贷款记录", "贷款记录")),
        Column("has_discount", "有票据贴现记录", True, ("是否有票据贴现记录", "票据贴现记录")),
        Column("first_loan_on", "首次贷款日期", False, ("首贷日期", "首次贷款时间")),
    ),
)

SOURCES = {s.kind: s for s in (REGISTRY, TAX, CREDIT)}


def header_key(text: str | None) -> str:
    """A header as compared: half-width, no spaces, no BOM, upper case (so （万元） equals (万元))."""
    return compact((text or "").replace("\ufeff", "")) or ""


def match_headers(source: Source, headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which file column (by position) feeds each of the source's columns, and the required ones missing.

    The contract's own header wins over an alias; among aliases the first listed wins; unknown headers are ignored.
    """
    positions: dict[str, list[int]] = {}
    for i, h in enumerate(headers):
        positions.setdefault(header_key(h), []).append(i)
    found: dict[str, int] = {}
    for col in source.columns:
        for spelling in col.spellings:
            hits = positions.get(header_key(spelling))
            if hits:
                found[col.key] = hits[0]
                break
    missing = [c.label for c in source.columns if c.required and c.key not in found]
    return found, missing
