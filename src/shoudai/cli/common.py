"""What every command group needs: who the actor is, and a schema that is up to date."""

from __future__ import annotations

import getpass

from rich.console import Console

from shoudai.config import get_settings

# Wide enough for the per-county table (ten columns of Chinese headings and counts) when output goes to a file or a
# pipe, where rich would otherwise assume 80 columns and cut every cell to "4107…".
PIPED_WIDTH = 140


def make_console() -> Console:
    """rich's console; when stdout is not a terminal, at least PIPED_WIDTH columns wide."""
    console = Console()
    if not console.is_terminal and console.width < PIPED_WIDTH:
        console = Console(width=PIPED_WIDTH)
    return console


def default_actor() -> str:
    """`cli:<login name>`, recorded as the actor of CLI writes."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in some containers; the actor must still be non-empty
        return "cli"


def ready() -> None:
    """Bring the schema up to date first, so a new user never meets 'no such table' (cheap when current)."""
    from shoudai import migrate  # Alembic costs ~1 s to import: only commands that touch the database pay it

    migrate.upgrade(get_settings().resolved_database_url())
