"""What every command group needs: who the actor is, and a schema that is up to date."""

from __future__ import annotations

import getpass

from shoudai.config import get_settings


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
