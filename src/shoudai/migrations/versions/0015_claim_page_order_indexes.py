"""outreach claims: indexes in the claims pages' own order, (bank_code | assigned_to, status, expires_at, id)

Revision ID: 0015
Revises: 0014

A bank's claims page and an officer's queue list live claims soonest-expiring first, 50 at a time, each with its
entry's name and tier. Without an index in that order PostgreSQL joined every live claim with the whole version's
entries (a hash join over the partition) and sorted afterwards; with one, it walks the claims in page order and looks
up only the page's entries. bench/lists_pages_bench.py --entries 1000000 (PostgreSQL, 10,000 claims all assigned to
one officer, 50,000 contacts), p50 of 30 requests, before and after on one kept cluster: the bank's claims page
110 → 75 ms, the officer's queue 102 → 77 ms; the queue's page query itself ~200 → 0.5 ms (EXPLAIN ANALYZE), what
remains is its capped count (29 ms: one key probe per claim) and the rest of the page.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outreach_claim_bank_order", "outreach_claim", ["bank_code", "status", "expires_at", "id"])
    op.create_index("ix_outreach_claim_assignee_order", "outreach_claim", ["assigned_to", "status", "expires_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_outreach_claim_assignee_order", table_name="outreach_claim")
    op.drop_index("ix_outreach_claim_bank_order", table_name="outreach_claim")
