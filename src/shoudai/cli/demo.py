"""`shoudai demo`: the main job on the embedded default — a generated city, two years of lists, their exports."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from shoudai.cli import lists as lists_cli
from shoudai.cli import web as web_cli
from shoudai.cli.common import make_console
from shoudai.config import get_settings
from shoudai.db import session_scope
from shoudai.synth import generate_city
from shoudai.synth.city import DEFAULT_BASE_YEAR

console = make_console()


def demo(
    entities: Annotated[int, typer.Option("--entities", "-n", min=100, help="模拟市场主体数量")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="随机种子")] = 2026,
    years: Annotated[int, typer.Option("--years", min=1, max=5, help="连续生成几年名单（存量+新增）")] = 2,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="之后启动网页平台（含演示账户）")] = True,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """演示：生成模拟城市，导入三方数据，逐年生成两张名单并导出 Demo: a synthetic city, its lists year by year, exports."""
    data_dir = get_settings().data_dir
    for year in range(DEFAULT_BASE_YEAR, DEFAULT_BASE_YEAR + years):
        city_dir = data_dir / "demo" / f"city-{seed}-{entities}" / str(year)
        if not (city_dir / "manifest.json").exists():  # the same seed gives the same bytes: generate once
            with console.status(f"正在生成 {year} 年模拟数据（{entities:,} 个市场主体）…"):
                generate_city(entities, seed, city_dir, year=year, xlsx=False)
        console.rule(f"{year} 年")
        out = data_dir / "exports" / str(year)
        lists_cli.build(
            registry=city_dir / "registry.csv",
            tax=city_dir / "tax.csv",
            credit=city_dir / "credit.csv",
            year=year,
            engine="duckdb",
            out=out,
            excel=True,
            actor="demo",
        )
    _first_loans(data_dir, DEFAULT_BASE_YEAR, DEFAULT_BASE_YEAR + years - 1, seed)
    _loan_needs(seed)
    console.print(f"\n[bold]完成 Done.[/bold] 数据库 database: {get_settings().resolved_database_url()}")
    console.print(f"导出文件 exports: {Path(data_dir / 'exports').resolve()}")
    if serve:
        web_cli.serve(host=host, port=port, demo=True, proxy_headers=False)


def _loan_needs(seed: int) -> None:
    """Loan codes and needs worked by banks on the 211 clocks (once: a second run keeps what the first made)."""
    from datetime import UTC, datetime

    from sqlalchemy import exists, select

    from shoudai.lending.channels import channel_url
    from shoudai.lending.models import Channel, Need
    from shoudai.synth.needs import seed_demo_needs

    with console.status("正在模拟扫码融资需求与银行 211 对接…"), session_scope() as session:
        if not session.scalar(select(exists().where(Need.id.is_not(None)))):
            r = seed_demo_needs(session, now=datetime.now(UTC), seed=seed)
            from shoudai.web.i18n import translate

            stages = "，".join(f"{translate('wb.stage.' + k)} {v}" for k, v in sorted(r.stages.items()))
            console.print(f"融资需求 loan needs: {r.needs} 笔，对接 {r.tracks} 条（{stages}），超时 {r.breaches} 次")
        codes = list(session.scalars(select(Channel.code).order_by(Channel.id).limit(3)))
    for code in codes:
        console.print(f"贷款码 loan code: {channel_url(code)}")


def _first_loans(data_dir: Path, first_year: int, last_year: int, seed: int) -> None:
    """Banks' monthly first-loan reports for the demo lists, imported as banks would, then last month's bulletin."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from shoudai.cli import oversight as oversight_cli
    from shoudai.oversight.reports.service import import_report
    from shoudai.registry.lists import version_files
    from shoudai.synth.loans import months_of, report_files, spread_over

    today = date.today()
    last_month = date(today.year, today.month, 1) - timedelta(days=1)
    borrowers: dict = {}
    for year in range(first_year, last_year + 1):
        periods = months_of(year, last_month)
        if not periods:
            continue
        if year < last_year:  # next year's build removed them as converted: they got their first loan this year
            removals = pq.read_table(version_files(year + 1)[1])
            borrowers |= spread_over(removals.filter(pc.equal(removals["reason_code"], "converted")), periods, 1.0, seed)
        else:
            borrowers |= spread_over(pq.read_table(version_files(year)[0]), periods, 0.12, seed + year)
    files = report_files(borrowers, seed)
    applied = 0
    with console.status(f"正在导入银行首贷报送（{len(files)} 个文件）…"), session_scope() as session:
        for (bank, period), data in sorted(files.items()):
            result = import_report(session, data, bank_code=bank, period=period, file_name=f"{bank}_{period}.csv",
                                   actor="demo")
            applied += result.inserted
    console.print(f"银行首贷报送 first-loan reports: {len(files)} 个文件，新增 {applied:,} 笔首贷")
    month = f"{last_month.year}-{last_month.month:02d}"
    oversight_cli.bulletin(month=month, out=data_dir / "exports" / "bulletin" / month, no_pdf=False)
