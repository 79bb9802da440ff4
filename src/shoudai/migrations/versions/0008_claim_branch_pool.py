"""outreach: a claim can sit in a branch's pool (outreach_claim.branch_code) until one of its officers takes it

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outreach_claim", schema=None) as b:
        b.add_column(sa.Column("branch_code", sa.String(length=32), nullable=True))
        b.create_index("ix_outreach_claim_branch", ["bank_code", "branch_code", "status"], unique=False)
    # Claims already assigned to an officer belong to that officer's branch.
    op.execute("UPDATE outreach_claim SET branch_code = (SELECT u.branch_code FROM app_user u "
               "WHERE u.id = outreach_claim.assigned_to) WHERE assigned_to IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("outreach_claim", schema=None) as b:
        b.drop_index("ix_outreach_claim_branch")
        b.drop_column("branch_code")
