"""list entries: the id sequence hands a session its ids 1,000 at a time

Revision ID: 0011
Revises: 0010

PostgreSQL: a version's COPY draws one id per row from list_entry_id_seq. Uncached, every call locks the sequence's
page and every 32nd writes a WAL record; cached, a session takes 1,000 at once and the rest are a counter in its
memory: ~0.2 of ~3 CPU-seconds of a 1M-row COPY (bench/pg_copy_bench.py). Ids stay unique; a session's unused ones
are skipped (gaps), and sessions' ids interleave out of insertion order, which nothing relies on. SQLite: nothing.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE list_entry_id_seq CACHE 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE list_entry_id_seq CACHE 1")
