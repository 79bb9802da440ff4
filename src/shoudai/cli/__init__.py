"""The `shoudai` command. Each group lives in its own module; this file only assembles them."""

from __future__ import annotations

import typer

from shoudai.cli import calendar, db, lists, synth
from shoudai.cli import web
from shoudai.cli import lending
from shoudai.cli import oversight

app = typer.Typer(no_args_is_help=True, add_completion=False, help="首贷通 Shoudai — first-loan programme platform")
app.add_typer(db.app, name="db", help="数据库 Database schema")
app.add_typer(calendar.app, name="calendar", help="工作日历 Working-day calendar")
app.add_typer(lists.app, name="lists", help="两张名单 The two no-loan lists")
app.command(name="synth", help="生成模拟城市数据 Generate a synthetic city")(synth.synth)
app.add_typer(web.app, name="web", help="网页平台 Web platform")
app.add_typer(oversight.app, name="oversight")
app.command(name="bulletin")(oversight.bulletin)
app.add_typer(lending.app, name="lending", help="新享贷款码与211流程 Loan codes and the 211 workflow")
