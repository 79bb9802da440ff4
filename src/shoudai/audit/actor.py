"""Who is acting: every state-changing service takes `actor=` and writes it to the audit trail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """A user (or the system) acting from a source address."""

    username: str
    role: str = ""
    user_id: int | None = None
    source: str | None = None

    @classmethod
    def system(cls, what: str) -> Actor:
        """The platform itself (CLI, worker, migration): `system:<what>`."""
        return cls(username=f"system:{what}", role="system")

    @classmethod
    def anonymous(cls, attempted_username: str, source: str | None) -> Actor:
        """Someone not (yet) logged in, e.g. a failed login naming `attempted_username`."""
        return cls(username=attempted_username[:64] or "-", role="anonymous", source=source)
