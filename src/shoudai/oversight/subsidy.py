"""The fee subsidy (I1): a rule per year (rate in ‰, eligible loans), and a statement per bank exact to the fen.

Rounding, documented on every statement: a bank's subsidy = its eligible amount × rate, rounded half-up to the fen
(分); the per-loan lines share that total in proportion to their amounts by the largest-remainder method, so the
lines add up to the bank's total exactly and no line is more than one fen from its exact share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.audit.actor import Actor
from shoudai.oversight.actors import audit, now_utc, require_admin
from shoudai.oversight.errors import OversightError
from shoudai.oversight.exporting import Col, Table, write_csv, write_xlsx
from shoudai.oversight.lookups import bank_names, city_name
from shoudai.oversight.models import FirstLoan, SubsidyRule
from shoudai.oversight.money import largest_remainder, round_half_up

ELIGIBLE = {"first": "当年发放并计为首贷的贷款", "listed_first": "当年发放并计为首贷、且借款人在无贷户名单内的贷款"}
ROUNDING_NOTE = ("舍入规则：各行补贴总额 = 符合条件的首贷金额合计 × 补贴费率，四舍五入到分；逐笔补贴按金额比例分摊"
                 "该总额（最大余数法），逐笔合计与总额分毫不差。")


@dataclass(frozen=True)
class Rule:
    year: int
    rate_per_mille: Decimal
    eligible: str
    window_from: date | None
    window_to: date | None
    note: str


def default_rule(year: int) -> Rule:
    """Seed §三(二): 0.5‰ of new first loans; 2022 follows its own 奖补资金使用办法 (from the programme's start)."""
    if year == 2022:
        return Rule(2022, Decimal("0.5"), "first", date(2022, 12, 1), date(2022, 12, 31),
                    "2022年按《2022年财政支持普惠金融发展示范区奖补资金使用办法》执行：默认按专项行动启动（12月1日）后"
                    "发放的首贷计算，费率及口径以该办法为准，可由市级管理员调整。")
    return Rule(year, Decimal("0.5"), "first", None, None, "对发放首次贷款的驻市银行机构给予新增额0.5‰的费用补贴。")


def rule(session: Session, year: int) -> Rule:
    row = session.get(SubsidyRule, year)
    if row is None:
        return default_rule(year)
    return Rule(year, Decimal(row.rate_per_mille), row.eligible, row.window_from, row.window_to, row.note)


def set_rule(session: Session, year: int, *, rate_per_mille: Decimal, eligible: str = "first",
             window_from: date | None = None, window_to: date | None = None, note: str = "",
             actor: Actor | str, now: datetime | None = None) -> Rule:
    """The city admin's rule for `year` (rate in ‰, e.g. Decimal('0.5'))."""
    who, now = require_admin(actor, "设置首贷费用补贴规则"), now_utc(now)
    rate = Decimal(rate_per_mille)
    if not Decimal(0) <= rate <= Decimal(1000):
        raise OversightError("补贴费率应在0至1000‰之间")
    if eligible not in ELIGIBLE:
        raise OversightError(f"补贴口径应为：{'、'.join(ELIGIBLE)}")
    if window_from and window_to and window_to < window_from:
        raise OversightError("补贴期间的结束日期不能早于开始日期")
    before = rule(session, year)
    row = session.get(SubsidyRule, year) or SubsidyRule(year=year)
    row.rate_per_mille, row.eligible, row.window_from, row.window_to = str(rate), eligible, window_from, window_to
    row.note, row.updated_by, row.updated_at = note, who.username, now
    session.add(row)
    session.flush()
    audit(session, who, "oversight.subsidy.rule", "subsidy_rule", year,
          {"before": [str(before.rate_per_mille), before.eligible], "after": [str(rate), eligible]}, at=now)
    return rule(session, year)


@dataclass(frozen=True)
class StatementLine:
    contract_no: str
    borrower_name: str
    disbursed_on: date | None
    amount_fen: int
    subsidy_fen: int


@dataclass(frozen=True)
class Statement:
    bank_code: str
    bank_name: str
    year: int
    rule: Rule
    lines: tuple[StatementLine, ...]
    base_fen: int
    subsidy_fen: int


def allocate(amounts: list[int], rate_per_mille: Decimal) -> tuple[int, list[int]]:
    """(total, per-line) subsidy in fen under the documented rounding; the lines add up to the total."""
    total = int(round_half_up(Decimal(sum(amounts)) * rate_per_mille / 1000))
    parts = largest_remainder(total, {f"{i:09d}": a for i, a in enumerate(amounts)})
    return total, [parts[f"{i:09d}"] for i in range(len(amounts))]


def statements(session: Session, year: int, bank_code: str | None = None) -> list[Statement]:
    """Each bank's subsidy statement for `year` (banks with no eligible loan get an empty one)."""
    r = rule(session, year)
    q = (select(FirstLoan).where(FirstLoan.verdict == "first", FirstLoan.period.between(f"{year}-01", f"{year}-12"))
         .order_by(FirstLoan.bank_code, FirstLoan.disbursed_on, FirstLoan.contract_no))
    if r.window_from:
        q = q.where(FirstLoan.disbursed_on >= r.window_from)
    if r.window_to:
        q = q.where(FirstLoan.disbursed_on <= r.window_to)
    if r.eligible == "listed_first":
        q = q.where(FirstLoan.list_entry_id.is_not(None))
    if bank_code:
        q = q.where(FirstLoan.bank_code == bank_code)
    by_bank: dict[str, list[FirstLoan]] = {}
    for loan in session.scalars(q):
        by_bank.setdefault(loan.bank_code, []).append(loan)
    names = bank_names()
    out = []
    for code in ([bank_code] if bank_code else list(names) + [c for c in by_bank if c not in names]):
        loans = by_bank.get(code, [])
        total, parts = allocate([ln.amount_fen for ln in loans], r.rate_per_mille)
        lines = tuple(StatementLine(ln.contract_no, ln.borrower_name, ln.disbursed_on, ln.amount_fen, p)
                      for ln, p in zip(loans, parts, strict=True))
        out.append(Statement(code, names.get(code, code), year, r, lines, sum(ln.amount_fen for ln in loans), total))
    return out


def write_statements(session: Session, year: int, out_dir: Path) -> dict[str, Path]:
    """A workbook: a summary sheet and one sheet per bank with loans; plus subsidy_<year>.csv of the summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sts = statements(session, year)
    r = sts[0].rule if sts else rule(session, year)
    summary = Table("汇总", "一、各金融机构首贷费用补贴汇总", [
        Col("金融机构", "金融机构", "text", lambda s: s.bank_name, width=22),
        Col("首贷笔数", "首贷笔数", "int", lambda s: len(s.lines), width=10),
        Col("符合条件的首贷金额", "符合条件的首贷金额", "yuan", lambda s: s.base_fen, width=20),
        Col("补贴金额", "补贴金额", "yuan", lambda s: s.subsidy_fen, width=14),
    ], sts, Statement("", "合计", year, r, tuple(ln for s in sts for ln in s.lines), sum(s.base_fen for s in sts),
                      sum(s.subsidy_fen for s in sts)))
    tables = [summary]
    for s in sts:
        if s.lines:
            tables.append(Table(s.bank_name[:31], f"{s.bank_name}首贷费用补贴明细", [
                Col("合同编号", "合同编号", "text", lambda x: x.contract_no, width=20),
                Col("借款人", "借款人", "text", lambda x: x.borrower_name, width=28),
                Col("发放日期", "发放日期", "text", lambda x: x.disbursed_on.isoformat() if x.disbursed_on else "",
                    width=12),
                Col("首贷金额", "首贷金额", "yuan", lambda x: x.amount_fen, width=16),
                Col("补贴金额", "补贴金额", "yuan", lambda x: x.subsidy_fen, width=12),
            ], s.lines, StatementLine("合计", "", None, s.base_fen, s.subsidy_fen)))
    title = f"{city_name()}首贷定向费用补贴清算表（{year}年）"
    notes = [f"补贴费率：{r.rate_per_mille}‰；补贴口径：{ELIGIBLE[r.eligible]}"
             + (f"（发放日期{r.window_from}至{r.window_to}）" if r.window_from or r.window_to else "") + "。",
             r.note, ROUNDING_NOTE]
    paths = {"xlsx": out_dir / f"首贷费用补贴_{year}.xlsx", "csv": out_dir / f"subsidy_{year}.csv"}
    write_xlsx(paths["xlsx"], title, "金额单位：元", tables, notes)
    write_csv(paths["csv"], summary)
    return paths
