"""list tables: the code columns compare bytewise (COLLATE "C") on PostgreSQL

Revision ID: 0012
Revises: 0011

PostgreSQL: entity_key, uscc, reg_no and county_code of list_entry and list_removal, and entity_key of
outreach_claim and outreach_contact, get the "C" collation. The codes are ASCII and sort bytewise anyway (as on
SQLite and in the build), but under the database's libc locale (even C.UTF-8) every comparison of a version's index
builds went through strcoll and no abbreviated sort keys (bench/pg_copy_bench.py). The outreach keys follow so that
their indexes still serve joins and equality with list_entry.entity_key: an index is used only for a comparison in
its own collation, and a C column compared with a default-collated one compares in C.

On the partitioned list_entry the ALTER reaches every version's partition and leaf and rebuilds the indexes over
these columns (the heap is not rewritten: same type), under an ACCESS EXCLUSIVE lock for the time of the rebuild.
SQLite compares bytes already: nothing.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = {
    "list_entry": (("entity_key", 32), ("uscc", 18), ("reg_no", 15), ("county_code", 6)),
    "list_removal": (("entity_key", 32), ("uscc", 18), ("reg_no", 15), ("county_code", 6)),
    "outreach_claim": (("entity_key", 32),),
    "outreach_contact": (("entity_key", 32),),
}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        # One statement per table, so that each index over these columns is rebuilt once.
        clauses = ", ".join(f'ALTER COLUMN {name} TYPE varchar({width}) COLLATE "{collation}"'
                            for name, width in columns)
        op.execute(f"ALTER TABLE {table} {clauses}")


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
