"""`shoudai db …`: schema management."""

from __future__ import annotations

import typer

from shoudai.config import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database (SHOUDAI_DATABASE_URL) to the newest schema."""
    from shoudai import migrate  # Alembic is slow to import: not for every command's start-up

    url = get_settings().resolved_database_url()
    migrate.upgrade(url)
    typer.echo(f"数据库已升级到最新版本 schema up to date: {url.split('@')[-1]}")
