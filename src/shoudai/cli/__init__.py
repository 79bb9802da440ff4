"""The `shoudai` command. Each group lives in its own module; this file only assembles them."""

from __future__ import annotations

import typer

from shoudai.cli import bankapi, calendar, db, demo, lending, lists, oversight, synth, web

app = typer.Typer(no_args_is_help=True, add_completion=False, help="首贷通 Shoudai — first-loan programme platform")
app.command(name="demo", help="演示：模拟城市 + 两张名单 The main job on the embedded default")(demo.demo)
app.add_typer(db.app, name="db", help="数据库 Database schema")
app.add_typer(calendar.app, name="calendar", help="工作日历 Working-day calendar")
app.add_typer(lists.app, name="lists", help="两张名单 The two no-loan lists")
app.command(name="synth", help="生成模拟城市数据 Generate a synthetic city")(synth.synth)
app.add_typer(web.app, name="web", help="网页平台 Web platform")
app.add_typer(lending.app, name="lending", help="新享贷款码与211流程 Loan codes and the 211 workflow")
app.add_typer(bankapi.app, name="bankapi", help="银行接口密钥 Bank API keys")
app.add_typer(oversight.app, name="oversight", help="首贷监测、通报与考核 Oversight")
app.command(name="bulletin", help="月度通报 Monthly bulletin")(oversight.bulletin)
