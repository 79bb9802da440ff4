"""`shoudai oversight …` and `shoudai bulletin`: first-loan reports, month closing, targets, bulletins, assessment,
subsidies, re-discount queue and compensation ledger from the command line (the CLI acts as the city admin)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from shoudai.audit.actor import Actor
from shoudai.cli.common import default_actor, ready
from shoudai.db import session_scope
from shoudai.oversight.errors import OversightError

app = typer.Typer(no_args_is_help=True, help="首贷监测：报送、通报、考核、补贴 First-loan oversight")

EXIT_REJECTED = 2


def _actor(name: str | None) -> Actor:
    name = name or default_actor()
    return Actor.system(name.removeprefix("system:")) if not name.startswith("cli") else Actor(name, role="system")


ActorOpt = Annotated[str | None, typer.Option("--actor", help="记录为操作人 who acts")]


def bulletin(
    month: Annotated[str, typer.Option("--month", help="通报月份 YYYY-MM")],
    out: Annotated[Path, typer.Option("--out", help="输出目录 output directory")],
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="不生成PDF")] = False,
) -> None:
    """生成月度通报：Excel、PDF、by_county.csv、by_bank.csv  Write the monthly bulletin files."""
    from shoudai.oversight.bulletin import compute_bulletin
    from shoudai.oversight.bulletin_export import write_bulletin

    ready()
    _ensure_targets(month)
    t0 = time.perf_counter()
    try:
        with session_scope() as session:
            b = compute_bulletin(session, month)
            t1 = time.perf_counter()
            paths = write_bulletin(b, out, pdf=not no_pdf)
    except OversightError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_REJECTED) from None
    t2 = time.perf_counter()
    typer.echo(b.title)
    for kind, p in paths.items():
        typer.echo(f"  {kind:10s} {p}")
    typer.echo(f"数据 figures {t1 - t0:.2f}s，文件 files {t2 - t1:.2f}s")


def _ensure_targets(month: str) -> None:
    """A new user's first bulletin: the seed's programme, and the year's targets split by list size, if missing."""
    from shoudai.oversight.reports.service import period_of
    from shoudai.oversight.targets import compute_targets, ensure_default_programme, targets

    try:
        year = int(period_of(month)[:4])
    except OversightError:
        return  # the bulletin itself reports the bad month
    with session_scope() as session:
        p = ensure_default_programme(session, actor=_actor(None))
        if p.starts_on.year <= year <= p.ends_on.year and not targets(session, p.id, year, "unit"):
            try:
                compute_targets(session, p.id, year, actor=_actor(None))
            except OversightError as exc:
                typer.echo(f"未分解目标 no targets: {exc}")
                return
            typer.echo(f"已按名单户数分解{year}年目标（可用 shoudai oversight targets 查看） targets computed")


@app.command("import-report")
def import_report_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="首贷发放明细 CSV/XLSX")],
    bank: Annotated[str, typer.Option("--bank", help="报送银行代码或名称")],
    month: Annotated[str, typer.Option("--month", help="报送月份 YYYY-MM")],
    actor: ActorOpt = None,
) -> None:
    """导入银行月度首贷发放明细 Import a bank's monthly first-loan report (all or nothing)."""
    from shoudai.oversight.reports.service import import_report

    ready()
    try:
        with session_scope() as session:
            res = import_report(session, file.read_bytes(), bank_code=bank, period=month, file_name=file.name,
                                actor=_actor(actor))
    except OversightError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_REJECTED) from None
    if res.status == "rejected":
        for p in res.problems:
            typer.echo(str(p), err=True)
        typer.echo(f"导入失败，未写入任何数据（{len(res.problems)}处错误） rejected, nothing written", err=True)
        raise typer.Exit(EXIT_REJECTED)
    for f in res.findings:
        if f.level == "warning":
            typer.echo(f"第{f.row_no}行（合同{f.contract_no}）：{f.message}")
    typer.echo(f"已导入：新增{res.inserted}笔，更新{res.updated}笔，未变{res.unchanged}笔 "
               f"applied: {res.inserted} new, {res.updated} updated, {res.unchanged} unchanged")


@app.command("close-month")
def close_month_cmd(month: Annotated[str, typer.Option("--month")], actor: ActorOpt = None) -> None:
    """关账：此后修改须登记更正 Close a reporting month."""
    from shoudai.oversight.reports.corrections import close_month

    ready()
    try:
        with session_scope() as session:
            row = close_month(session, month, actor=_actor(actor))
    except OversightError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_REJECTED) from None
    typer.echo(f"{row.period} 已关账 closed")


@app.command("targets")
def targets_cmd(
    year: Annotated[int, typer.Option("--year")],
    compute: Annotated[bool, typer.Option("--compute", help="按名单户数重新分解（保留手工调整的目标）")] = False,
    actor: ActorOpt = None,
) -> None:
    """年度目标及进度（首次运行时建立默认专项行动） Yearly targets and progress."""
    from shoudai.oversight.money import wan_text
    from shoudai.oversight.targets import compute_targets, ensure_default_programme, progress

    ready()
    with session_scope() as session:
        p = ensure_default_programme(session, actor=_actor(actor))
        try:
            if compute:
                compute_targets(session, p.id, year, actor=_actor(actor))
        except OversightError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(EXIT_REJECTED) from None
        typer.echo(f"{p.name}：{p.starts_on}—{p.ends_on}，目标{p.households_target:,}户、"
                   f"{wan_text(p.amount_target_fen)}万元")
        for level in ("city", "unit", "bank"):
            for row in progress(session, p.id, year, level):
                if row.target_households is None and not row.households:
                    continue
                typer.echo(f"  {row.name:16s} 目标 {row.target_households or 0:>6}户 {wan_text(row.target_amount_fen):>14}万元"
                           f"  完成 {row.households:>6}户 {wan_text(row.amount_fen):>14}万元  {row.households_pct or '-'}%")


@app.command("assessment")
def assessment_cmd(year: Annotated[int, typer.Option("--year")], out: Annotated[Path, typer.Option("--out")]) -> None:
    """年度考核：得分与排名，导出Excel/PDF/CSV  Annual assessment."""
    from shoudai.oversight.assessment import compute_assessment
    from shoudai.oversight.assessment_export import write_assessment

    ready()
    with session_scope() as session:
        a = compute_assessment(session, year)
        paths = write_assessment(a, out)
    typer.echo(a.title)
    for kind, p in paths.items():
        typer.echo(f"  {kind:10s} {p}")


@app.command("subsidy")
def subsidy_cmd(year: Annotated[int, typer.Option("--year")], out: Annotated[Path, typer.Option("--out")]) -> None:
    """首贷费用补贴清算表 Fee-subsidy statements per bank."""
    from shoudai.oversight.subsidy import statements, write_statements

    ready()
    with session_scope() as session:
        paths = write_statements(session, year, out)
        total = sum(s.subsidy_fen for s in statements(session, year))
    typer.echo(f"补贴合计 total {Decimal(total) / 100:,.2f} 元")
    for kind, p in paths.items():
        typer.echo(f"  {kind:10s} {p}")


@app.command("relending")
def relending_cmd(year: Annotated[int, typer.Option("--year")]) -> None:
    """支小再贷款支持的名单内首贷（按银行、月份） Re-lending eligible volumes."""
    from shoudai.oversight.relending import relending_volumes

    ready()
    with session_scope() as session:
        rows = relending_volumes(session, year)
    for r in rows:
        typer.echo(f"{r.bank_code:8s} {r.period} {r.loans:>6}笔 {Decimal(r.amount_fen) / 1_000_000:>14,.2f}万元")
    typer.echo(f"合计 total {sum(r.loans for r in rows)}笔 "
               f"{Decimal(sum(r.amount_fen for r in rows)) / 1_000_000:,.2f}万元")


@app.command("rediscount-queue")
def rediscount_queue_cmd() -> None:
    """再贴现待办队列（按优先顺序） The re-discount queue in priority order."""
    from shoudai.oversight.relending import rediscount_queue

    ready()
    with session_scope() as session:
        for i, q in enumerate(rediscount_queue(session), start=1):
            b = q.bill
            typer.echo(f"{i:>4} {b.bill_no:20s} {Decimal(b.face_value_fen) / 100:>16,.2f}元 {b.discounted_on} "
                       f"{b.drawer_name} / {b.discounter_name}  {q.label}")


@app.command("ledger")
def ledger_cmd() -> None:
    """风险补偿台账（按银行、担保机构） The compensation ledger."""
    from shoudai.oversight.compensation import ledger

    ready()
    with session_scope() as session:
        for r in ledger(session):
            typer.echo(f"{r.bank_code:8s} {r.guarantor:24s} {r.loans:>5}笔 {Decimal(r.amount_fen) / 100:>16,.2f}元 "
                       f"损失{Decimal(r.loss_fen) / 100:,.2f} 待批{Decimal(r.pending_fen) / 100:,.2f} "
                       f"已批{Decimal(r.approved_fen) / 100:,.2f}")


