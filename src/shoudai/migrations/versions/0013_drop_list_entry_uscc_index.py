"""list entries: no separate index on uscc; look-ups by credit code go through (version_id, entity_key)

Revision ID: 0013
Revises: 0012

The build sets entity_key = coalesce(uscc, 'R:' || reg_no), so an entry with a credit code has it as its key, and
`entity_key = :code AND uscc IS NOT NULL` finds exactly the rows `uscc = :code` does, through the unique
(version_id, entity_key) index once the version is known (the look-ups join list_version or name it). The uscc index
only repeated that key and cost every stored version a fourth index build: on PostgreSQL ~0.5 s per 1M entries,
medians 203k and 207k → 227k and 225k rows/s (bench/pg_copy_bench.py, 3 × 1M rows, invocations alternated).
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On PostgreSQL this drops the partitioned index and with it every partition's and leaf's attached copy.
    op.execute("DROP INDEX IF EXISTS ix_list_entry_uscc")


def downgrade() -> None:
    op.execute("CREATE INDEX ix_list_entry_uscc ON list_entry (uscc)")
