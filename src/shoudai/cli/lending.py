"""`shoudai lending …`: loan-code channels, QR codes, posters, bank webhooks, the deadline sweep, the outbox worker."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from shoudai.cli.common import default_actor, ready
from shoudai.config import get_settings
from shoudai.db import get_engine, session_scope
from shoudai.lending import channels as channel_service
from shoudai.lending import delivery, sweep
from shoudai.lending.common import LendingError
from shoudai.outbox import service as outbox
from shoudai.outbox import worker as outbox_worker

app = typer.Typer(no_args_is_help=True, help="新享贷款码与“211”流程 Loan codes and the 211 workflow")
channels_app = typer.Typer(no_args_is_help=True, help="贷款码渠道 Loan-code channels")
app.add_typer(channels_app, name="channels")

EXIT_REJECTED = 2




def _fail(exc: LendingError) -> None:
    typer.echo(f"{exc} ({exc.code})", err=True)
    raise typer.Exit(EXIT_REJECTED)


@channels_app.command("create")
def channels_create(
    code: Annotated[str, typer.Argument(help="渠道编码（出现在二维码网址中）code, e.g. hx-tax")],
    name: Annotated[str, typer.Option("--name", help="渠道名称 name")],
    kind: Annotated[str, typer.Option("--kind", help="|".join(channel_service.KINDS))],
    county: Annotated[str | None, typer.Option("--county", help="区县代码 county code")] = None,
    bank: Annotated[str | None, typer.Option("--bank", help="银行代码 bank code (bank_branch)")] = None,
    actor: Annotated[str, typer.Option("--actor")] = default_actor(),
) -> None:
    """新建渠道 Register a channel."""
    ready()
    try:
        with session_scope() as s:
            ch = channel_service.create_channel(s, code=code, name=name, kind=kind, county_code=county,
                                                bank_code=bank, actor=actor)
            typer.echo(f"已创建渠道 created {ch.code}: {channel_service.channel_url(ch.code)}")
    except LendingError as exc:
        _fail(exc)


@channels_app.command("list")
def channels_list(county: Annotated[str | None, typer.Option("--county")] = None) -> None:
    """列出渠道 List channels with their URLs."""
    ready()
    with session_scope() as s:
        for ch in channel_service.list_channels(s, county_code=county):
            kind = channel_service.KINDS.get(ch.kind, ch.kind)
            typer.echo(f"{ch.code}\t{ch.name}\t{kind}\t{ch.county_code or '-'}\t{ch.bank_code or '-'}\t"
                       f"{channel_service.channel_url(ch.code)}")


@app.command("qr")
def qr(
    channel: Annotated[str, typer.Argument(help="渠道编码 channel code")],
    out: Annotated[Path, typer.Option("--out", help="输出文件 .png 或 .svg")],
    scale: Annotated[int, typer.Option("--scale", min=1, max=50)] = 10,
) -> None:
    """生成渠道二维码 Write a channel's QR code as PNG or SVG."""
    ready()
    try:
        with session_scope() as s:
            ch = channel_service.get_channel(s, channel)
    except LendingError as exc:
        _fail(exc)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise typer.BadParameter("--out 须以 .png 或 .svg 结尾")
    data = channel_service.qr_png(ch.code, scale=scale) if suffix == ".png" else channel_service.qr_svg(ch.code,
                                                                                                      scale=scale)
    out.write_bytes(data)
    typer.echo(f"{out} → {channel_service.channel_url(ch.code)}")


@app.command("poster")
def poster(
    channel: Annotated[str, typer.Argument(help="渠道编码 channel code")],
    out: Annotated[Path, typer.Option("--out", help="输出 PDF 文件")],
) -> None:
    """生成 A4 宣传海报 Write a printable A4 poster PDF for a channel."""
    ready()
    try:
        with session_scope() as s:
            ch = channel_service.get_channel(s, channel)
            pdf = channel_service.poster_pdf(ch)
    except LendingError as exc:
        _fail(exc)
    out.write_bytes(pdf)
    typer.echo(f"{out} ({len(pdf)} bytes)")


@app.command("endpoint")
def endpoint(
    bank: Annotated[str, typer.Argument(help="银行代码 bank code")],
    url: Annotated[str, typer.Argument(help="回调地址 webhook URL")],
    secret: Annotated[str, typer.Option("--secret", prompt=True, hide_input=True, help="签名密钥 signing secret")],
    actor: Annotated[str, typer.Option("--actor")] = default_actor(),
) -> None:
    """登记银行回调地址 Set a bank's webhook URL and signing secret."""
    ready()
    try:
        with session_scope() as s:
            delivery.set_bank_endpoint(s, bank, url, secret, actor=actor)
    except LendingError as exc:
        _fail(exc)
    typer.echo(f"{bank} → {url}")


@app.command("sweep")
def sweep_once(actor: Annotated[str, typer.Option("--actor")] = "system:sweep") -> None:
    """执行一次时限检查 Run the deadline sweep once (breaches, escalation, due-soon warnings)."""
    ready()
    with session_scope() as s:
        report = sweep.run_sweep(s, actor=actor)
    b = report.breaches
    typer.echo(f"超时 breaches: 反馈 answer {b.get('answer', 0)}, 受理 accept {b.get('accept', 0)}, "
               f"审批 decide {b.get('decide', 0)}; 已通报 notified {report.notified}; "
               f"临期提醒 warned {report.warned}; 重算 recomputed {report.recomputed}")


@app.command("outbox")
def outbox_status() -> None:
    """消息发件箱状态 Outbox counts (pending, sent, dead)."""
    ready()
    with session_scope() as s:
        c = outbox.counts(s)
    typer.echo(f"pending {c['pending']}  sent {c['sent']}  dead {c['dead']}")


@app.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="处理一轮后退出 one pass, then exit")] = False,
    poll: Annotated[float, typer.Option("--poll", min=0.1, help="空闲时轮询间隔（秒）")] = 1.0,
    sweep_every: Annotated[float, typer.Option("--sweep-every", min=0, help="时限检查间隔（秒），0 不检查")] = 60.0,
) -> None:
    """发送消息（短信、银行回调），并定时执行时限检查 Deliver the outbox until stopped (Ctrl-C / SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    ready()
    engine = get_engine()
    senders = delivery.default_senders(engine, get_settings().data_dir)
    if once:
        if sweep_every:
            sweep_once()
        stats = outbox_worker.run_once(engine, senders)
        typer.echo(f"claimed {stats.claimed} sent {stats.sent} retried {stats.retried} dead {stats.dead}")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo("worker started (Ctrl-C to stop)")
    work_until(stop, engine, senders, poll=poll, sweep_every=sweep_every)
    typer.echo("worker stopped")


def work_until(stop: threading.Event, engine, senders, *, poll: float = 1.0, sweep_every: float = 60.0) -> None:
    """Deliver the outbox and sweep the clocks until `stop` is set (the worker command; the demo server's thread)."""
    last_sweep = 0.0
    while not stop.is_set():
        if sweep_every and time.monotonic() - last_sweep >= sweep_every:
            try:
                with session_scope() as s:
                    sweep.run_sweep(s, actor="system:sweep", now=datetime.now(UTC))
            except Exception:
                logging.getLogger("shoudai.sweep").exception("sweep failed")
            last_sweep = time.monotonic()
        try:
            stats = outbox_worker.run_once(engine, senders)
        except Exception:
            logging.getLogger("shoudai.outbox").exception("outbox pass failed")
            stats = outbox_worker.RunStats()
        if stats.claimed == 0:
            stop.wait(poll)
