"""list entries: indexes for the county officer's and bank's list pages

Revision ID: 0007
Revises: 0006

The (version, county, key) index replaces (version, county, kind, tier): its key order is the pages' ORDER BY, so a
page is the first 50 index entries of the county, and on PostgreSQL it carries every filter column (INCLUDE), so a
filter is checked in the index without visiting the table (an index-only scan), even one that matches nothing.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FILTER_COLUMNS = ["list_kind", "tier", "industry_section", "change", "address", "name"]


def upgrade() -> None:
    op.drop_index("ix_list_entry_scope", table_name="list_entry")
    op.create_index("ix_list_entry_county", "list_entry", ["version_id", "county_code", "entity_key"],
                    postgresql_include=FILTER_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_list_entry_county", table_name="list_entry")
    op.create_index("ix_list_entry_scope", "list_entry", ["version_id", "county_code", "list_kind", "tier"])
