"""outreach contacts: an index on (claim_id, id), for each claim's latest contact

Revision ID: 0014
Revises: 0013

An officer's work queue shows every claim's latest contact (outcome, next follow-up), and the bank's claims and
progress views read contacts by claim. Without an index on claim_id each of those is a scan of all the bank's
contacts, so the pages slowed down as the outreach work they show grew. With (claim_id, id) the latest contact is the
last entry of one short index range. bench/lists_pages_bench.py --entries 1000000 (PostgreSQL, 10,000 claims all
assigned to one officer, 50,000 contacts), p50 of 30 requests: the queue's first page 503 → 231 ms, its 20th page
7,535 → 235 ms (there every skipped row's latest contact was looked up by a scan too).
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outreach_contact_claim", "outreach_contact", ["claim_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outreach_contact_claim", table_name="outreach_contact")
