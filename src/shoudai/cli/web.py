"""`shoudai web …`: serve the platform, seed demo accounts, show a demo account's current TOTP code."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from shoudai.accounts import roles
from shoudai.accounts.demo import DemoAccount, is_demo_username, seed_demo_accounts
from shoudai.accounts.service import get_by_username, totp_secret_of
from shoudai.accounts.totp import current_code
from shoudai.config import get_settings
from shoudai.db import session_scope

app = typer.Typer(no_args_is_help=True)


def _migrate(url: str) -> None:
    from shoudai import migrate  # Alembic is slow to import: not for every command's start-up

    migrate.upgrade(url)


def _print_accounts(accounts: list[DemoAccount]) -> None:
    typer.echo("演示账户 Demo accounts (laptop demo only — never with real data):")
    typer.echo(f"  {'用户名 username':<18}{'角色 role':<22}{'密码 password':<20}TOTP")
    for a in accounts:
        second = "shoudai web totp " + a.username if a.totp_secret else "(无需 none)"
        typer.echo(f"  {a.username:<18}{roles.label(a.role) + ' ' + a.role:<22}{a.password:<20}{second}")
    typer.echo("  TOTP 密钥 secrets (add to an authenticator app, or run `shoudai web totp USERNAME`):")
    for a in accounts:
        if a.totp_secret:
            typer.echo(f"    {a.username:<16}{a.totp_secret}")


def _seed() -> list[DemoAccount]:
    _migrate(get_settings().resolved_database_url())
    with session_scope() as session:
        return seed_demo_accounts(session)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port"),
    demo: bool = typer.Option(False, "--demo/--no-demo", help="create and print one demo account per role"),
    proxy_headers: bool = typer.Option(False, help="trust X-Forwarded-For from --forwarded-allow-ips"),
) -> None:
    """Serve the web platform (migrates the database first)."""
    import uvicorn

    _migrate(get_settings().resolved_database_url())
    if demo:
        _print_accounts(_seed())
        _start_worker()
        typer.echo(f"扫码填报 loan-code form: http://{host}:{port}/q/{_a_channel()}（all: `shoudai lending channels list`）")
        typer.echo(f"企业查询进度 business status page: http://{host}:{port}/status")
        typer.echo(f"演示短信（验证码）demo SMS incl. one-time codes: {get_settings().data_dir / 'sms.log'}")
    typer.echo(f"首贷通 Shoudai: http://{host}:{port}/")
    uvicorn.run("shoudai.web.app:create_app", factory=True, host=host, port=port, proxy_headers=proxy_headers,
                log_level="info")


def _a_channel() -> str:
    from sqlalchemy import select

    from shoudai.lending.models import Channel

    with session_scope() as session:
        code = session.scalar(select(Channel.code).where(Channel.active).order_by(Channel.id).limit(1))
    return code or "<渠道编码 channel code: `shoudai lending channels create`>"


def _start_worker() -> None:
    """The demo runs the outbox worker (SMS to the file gateway, bank webhooks) and the sweep in this process."""
    import threading

    from shoudai.cli.lending import work_until
    from shoudai.db import get_engine
    from shoudai.lending import delivery

    engine = get_engine()
    senders = delivery.default_senders(engine, get_settings().data_dir)
    threading.Thread(target=work_until, args=(threading.Event(), engine, senders), daemon=True,
                     name="shoudai-worker").start()


@app.command("demo-accounts")
def demo_accounts() -> None:
    """Create the demo accounts (if missing) and print how to sign in with each."""
    _print_accounts(_seed())


@app.command("totp")
def totp(username: str) -> None:
    """Print the current TOTP code of a demo account."""
    if not is_demo_username(username):
        typer.echo("只对演示账户可用 only for demo accounts", err=True)
        raise typer.Exit(2)
    with session_scope() as session:
        user = get_by_username(session, username)
        secret = totp_secret_of(user) if user else None
    if not secret:
        typer.echo("该账户不存在或无需动态口令 no such account or no second factor", err=True)
        raise typer.Exit(1)
    typer.echo(current_code(secret, datetime.now(UTC)))
