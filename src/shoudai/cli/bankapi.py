"""`shoudai bankapi …`: issue, list and revoke banks' API keys; forget old idempotent answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from shoudai.bankapi import idempotency, keys
from shoudai.cli.common import default_actor, ready
from shoudai.db import session_scope

app = typer.Typer(no_args_is_help=True, help="银行接口密钥 Bank API keys")
EXIT_REJECTED = 2


def _when(at: datetime | None) -> str:
    return "-" if at is None else (at if at.tzinfo else at.replace(tzinfo=UTC)).strftime("%Y-%m-%d %H:%M UTC")


@app.command("issue")
def issue(
    bank: Annotated[str, typer.Argument(help="银行代码 bank code, e.g. ICBC")],
    label: Annotated[str, typer.Option("--label", help="用途说明 what the key is for")] = "",
    counties: Annotated[str, typer.Option("--counties", help="服务区域县区代码，逗号分隔（空：全市）")] = "",
    actor: Annotated[str, typer.Option("--actor")] = default_actor(),
) -> None:
    """签发密钥 Issue a key; the secret is printed once and cannot be shown again."""
    ready()
    try:
        with session_scope() as s:
            issued = keys.issue_key(s, bank, label=label, counties=counties, actor=actor, now=datetime.now(UTC))
    except keys.KeyRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_REJECTED) from None
    typer.echo(f"银行 bank:        {issued.bank_code}")
    typer.echo(f"密钥编号 key id:  {issued.key_id}")
    typer.echo(f"密钥 secret:      {issued.secret}")
    typer.echo("请立即妥善交付，密钥不会再次显示。The secret is shown only this once.")


@app.command("list")
def list_(bank: Annotated[str | None, typer.Option("--bank", help="只看这家银行 only this bank")] = None) -> None:
    """列出密钥 List keys (never their secrets) with last use and revocation."""
    ready()
    with session_scope() as s:
        rows = keys.list_keys(s, bank)
        if not rows:
            typer.echo("没有密钥 no keys")
        for k in rows:
            state = f"已吊销 revoked {_when(k.revoked_at)}" if k.revoked_at else "有效 active"
            typer.echo(f"{k.bank_code}\t{k.key_id}\t{state}\t最近使用 last used {_when(k.last_used_at)}\t"
                       f"签发 issued {_when(k.created_at)} by {k.created_by}\t{k.label}")


@app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="密钥编号 key id (bk_…)")],
           actor: Annotated[str, typer.Option("--actor")] = default_actor()) -> None:
    """吊销密钥 Revoke a key at once (requests signed with it get 401)."""
    ready()
    try:
        with session_scope() as s:
            row = keys.revoke_key(s, key_id, actor=actor, now=datetime.now(UTC))
            typer.echo(f"已吊销 revoked {row.key_id} ({row.bank_code})")
    except keys.KeyRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_REJECTED) from None


@app.command("prune")
def prune() -> None:
    """清理超过 24 小时的幂等记录 Forget idempotent answers older than a day."""
    ready()
    with session_scope() as s:
        n = idempotency.prune(s, datetime.now(UTC))
    typer.echo(f"已清理 pruned {n}")
