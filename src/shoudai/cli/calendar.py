"""`shoudai calendar …`: import a holiday arrangement, compute a 211 deadline, show a year."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from shoudai.cli.common import default_actor, ready
from shoudai.db import session_scope
from shoudai.kit.calendar import HOLIDAY, SHANGHAI
from shoudai.reference.calendar_store import ArrangementError, import_arrangement, load_calendar

app = typer.Typer(no_args_is_help=True)

EXIT_REJECTED = 2
EXIT_PROVISIONAL = 3
WEEKDAYS = "一二三四五六日"




@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV: date,kind,name")],
    actor: Annotated[str, typer.Option("--actor", help="记录为操作人 who is importing")] = default_actor(),
) -> None:
    """导入国务院节假日安排 Import a holiday arrangement (replaces the years the file covers)."""
    ready()
    try:
        with session_scope() as session:
            summary = import_arrangement(session, file, actor=actor)
    except ArrangementError as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        typer.echo(f"导入失败，未写入任何数据 import rejected, nothing written ({len(exc.errors)} 处错误 errors)",
                   err=True)
        raise typer.Exit(EXIT_REJECTED) from None
    years = "、".join(str(y) for y in summary.years)
    typer.echo(
        f"已导入 {years} 年节假日安排（{summary.source}）：共 {summary.rows} 天，新增 {summary.added}，"
        f"修改 {summary.changed}，删除 {summary.removed}，未变 {summary.unchanged}\n"
        f"Imported the {years} arrangement from {summary.source}: {summary.rows} days, {summary.added} added, "
        f"{summary.changed} changed, {summary.removed} removed, {summary.unchanged} unchanged"
    )


def _parse_from(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"不是 ISO 8601 时间 not an ISO 8601 time: {value!r}") from None
    # A time without an offset is what the officer's clock shows: Shanghai local time.
    return at if at.tzinfo is not None else at.replace(tzinfo=SHANGHAI)


@app.command("deadline")
def deadline(
    from_: Annotated[str, typer.Option("--from", help="事件时间 event time, ISO 8601 (no offset = Asia/Shanghai)")],
    days: Annotated[int, typer.Option("--days", min=0, help="工作日数 working days")],
) -> None:
    """计算截止时间 The end of the Nth working day after the event (exit 3 if provisional)."""
    event_at = _parse_from(from_)
    ready()
    with session_scope() as session:
        calendar = load_calendar(session)
    result = calendar.deadline(event_at, days)
    if not result.provisional:
        typer.echo(result.due_at.isoformat())
        return
    typer.echo(f"{result.due_at.isoformat()} provisional")
    years = "、".join(str(y) for y in result.unknown_years)
    typer.echo(
        f"注意：{years} 年节假日安排未知，仅按周末计算；请用 `shoudai calendar import` 导入。"
        f" note: no holiday arrangement for {years}, counted on weekends only",
        err=True,
    )
    raise typer.Exit(EXIT_PROVISIONAL)


@app.command("show")
def show(year: Annotated[int, typer.Option("--year", min=1900, max=9999, help="年份 year")]) -> None:
    """列出某年的放假和调休上班日 List a year's holidays and adjusted working days."""
    ready()
    with session_scope() as session:
        calendar = load_calendar(session)
    if year in calendar.imported_years:
        typer.echo(f"{year} 年：已知（已导入）known (imported arrangement)")
    elif calendar.library_knows(year):
        typer.echo(f"{year} 年：已知（chinese-calendar）known (chinese-calendar)")
    else:
        typer.echo(f"{year} 年：未知 unknown — 截止日仅按周末计算并标记 provisional")
    for day in calendar.special_days(year):
        label = "放假 holiday" if day.kind == HOLIDAY else "上班 workday"
        origin = "表 table" if day.origin == "table" else "库 library"
        typer.echo(f"{day.day.isoformat()} 周{WEEKDAYS[day.day.weekday()]} {label}  {day.name}  [{origin}]")
