"""`shoudai lists …`: import the three agency files and build a year's two lists; export them; summarise them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shoudai.audit.actor import Actor
from shoudai.cli.common import default_actor, make_console, ready
from shoudai.db import session_scope
from shoudai.outreach import queries
from shoudai.outreach.claims import sweep_expired
from shoudai.pipeline.engines import ENGINES
from shoudai.registry import export, lists

app = typer.Typer(no_args_is_help=True)
console = make_console()

EXIT_REJECTED = 2
KIND_LABELS = {"registry": "市场监管登记", "tax": "税务登记", "credit": "征信比对"}




def _import_three(files: dict[str, Path], actor: str) -> dict[str, int]:
    """Import the three files (each a progress bar) in one transaction; returns the batch ids by kind."""
    from shoudai.registry.importer import ImportFileError, import_file, progress_bar

    ids = {}
    try:
        with session_scope() as session:
            for kind, path in files.items():
                with progress_bar(f"导入{KIND_LABELS[kind]} {path.name}", console=console) as progress:
                    outcome = import_file(session, path, kind, actor=actor, progress=progress)
                b = outcome.batch
                note = "" if outcome.created else "（此前已导入同一文件，未重复导入）"
                console.print(
                    f"  {KIND_LABELS[kind]}：共 {b.total_rows:,} 行，接受 {b.accepted_rows:,}，拒绝 {b.rejected_rows:,}，"
                    f"重复 {b.duplicate_rows:,}{note}"
                    + (f"\n  问题清单 rejects: {b.rejects_path}" if b.rejects_path else "")
                )
                ids[kind] = b.id
    except ImportFileError as exc:
        console.print(f"[red]导入失败，未写入任何数据：{exc}[/red]")
        raise typer.Exit(EXIT_REJECTED) from None
    return ids


def _summary_table(year: int) -> Table:
    with session_scope() as session:
        rows, total = lists.summary(session, year)
        version = lists.get_version(session, year)
        caption = (f"引擎 {version.engine} · 生成人 {version.built_by} · 内容摘要 {version.content_digest[:16]}…")
    table = Table(title=f"{year} 年两张无贷户名单（按县市区）", caption=caption)
    for header in ("区划代码", "县（市、区）", "小微企业", "个体工商户", "A类", "B类", "C类", "新增", "存量", "移出"):
        table.add_column(header, justify="left" if header in ("区划代码", "县（市、区）") else "right")
    for r in [*rows, total]:
        style = "bold" if r is total else None
        table.add_row(r.county_code, r.county_name, f"{r.sme:,}", f"{r.individual:,}", f"{r.tiers.get('A', 0):,}",
                      f"{r.tiers.get('B', 0):,}", f"{r.tiers.get('C', 0):,}", f"{r.new:,}", f"{r.carried:,}",
                      f"{r.removed:,}", style=style)
    return table


def _warn_stale() -> None:
    """Say which years' new/carried/removed were measured against a version that has since been (re)built."""
    with session_scope() as session:
        stale = lists.stale_versions(queries.versions(session))
    for s in stale:
        console.print(
            f"[yellow]注意：{s.year} 年名单的新增、存量和移出不是对照现有的 {s.base_year} 年名单算出的"
            f"（{s.base_year} 年名单在其后生成或重新生成）；请用 {s.year} 年的三份数据重新生成 {s.year} 年名单"
            f"（shoudai lists build … --year {s.year}）。[/yellow]"
        )


@app.command("build")
def build(
    registry: Annotated[Path, typer.Option("--registry", exists=True, dir_okay=False, help="市场监管登记信息 CSV/XLSX")],
    tax: Annotated[Path, typer.Option("--tax", exists=True, dir_okay=False, help="税务登记信息 CSV/XLSX")],
    credit: Annotated[Path, typer.Option("--credit", exists=True, dir_okay=False, help="征信比对结果 CSV/XLSX")],
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="名单年度 Year of the lists")],
    engine: Annotated[str, typer.Option("--engine", help="duckdb | spark")] = "duckdb",
    out: Annotated[Path | None, typer.Option("--out", help="同时导出到此目录 Also export the lists here")] = None,
    excel: Annotated[bool, typer.Option("--excel/--no-excel", help="导出时生成分县 Excel")] = True,
    actor: Annotated[str, typer.Option("--actor", help="记录为操作人")] = default_actor(),
) -> None:
    """导入三方数据并生成年度名单 Import the three files and build year Y's two lists (new/carried/removed)."""
    if engine not in ENGINES:
        raise typer.BadParameter(f"--engine 只能是 {' | '.join(ENGINES)}")
    ready()
    started = time.perf_counter()
    ids = _import_three({"registry": registry, "tax": tax, "credit": credit}, actor)
    imported = time.perf_counter()
    with console.status(f"正在生成 {year} 年名单（{engine}）…"), session_scope() as session:
        from shoudai.registry.models import ImportBatch

        batches = [session.get(ImportBatch, ids[k]) for k in ("registry", "tax", "credit")]
        try:
            lists.build_version(session, year, *batches, engine=engine, actor=actor)
        except lists.ListBuildError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(EXIT_REJECTED) from None
        except ImportError as exc:  # --engine spark without pyspark installed
            console.print(f"[red]引擎 {engine} 不可用：{exc}（请安装 shoudai[spark]）[/red]")
            raise typer.Exit(EXIT_REJECTED) from None
    from shoudai.db import get_engine
    from shoudai.registry.store import refresh_statistics

    refresh_statistics(get_engine())
    built = time.perf_counter()
    console.print(_summary_table(year))
    _warn_stale()
    entries, removals = lists.version_files(year)
    console.print(f"名单文件 version files: {entries}  {removals}")
    console.print(f"用时 导入 {imported - started:.1f}s · 生成并入库 {built - imported:.1f}s")
    if out is not None:
        _export(year, out, excel, workers=2)


def _export(year: int, out: Path, excel: bool, workers: int) -> None:
    with session_scope() as session:
        files = export.export_csv(session, year, out)
        for f in files.values():
            console.print(f"已导出 {f}")
        if excel:
            with console.status("正在生成分县 Excel…"):
                books = export.export_workbooks(session, year, out / "excel", workers=workers)
            console.print(f"已导出 {len(books)} 个分县 Excel 文件到 {out / 'excel'}")


@app.command("export")
def export_cmd(
    year: Annotated[int, typer.Option("--year", help="名单年度")],
    out: Annotated[Path, typer.Option("--out", help="输出目录 Output directory")],
    excel: Annotated[bool, typer.Option("--excel/--no-excel", help="生成分县 Excel")] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, help="并行生成 Excel 的进程数")] = 2,
) -> None:
    """导出名单 Write sme.csv, individual.csv, removed.csv and one Excel workbook per county/zone."""
    ready()
    try:
        _export(year, out, excel, workers)
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


@app.command("summary")
def summary_cmd(year: Annotated[int, typer.Option("--year", help="名单年度")]) -> None:
    """按县市区汇总 Per-county summary of year Y's lists."""
    ready()
    try:
        console.print(_summary_table(year))
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    _warn_stale()


@app.command("sweep-claims")
def sweep_claims() -> None:
    """到期认领回池 Mark every claim past its exclusive period as expired (run it on a timer; safe to repeat)."""
    ready()
    with session_scope() as session:
        n = sweep_expired(session, actor=Actor.system("sweep-claims"), now=datetime.now(UTC))
    console.print(f"已到期并回到认领池 expired claims returned to the pool: {n}")
