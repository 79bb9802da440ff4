"""outreach: banks' claims on list entries (one active claim per business) and officers' contacts

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table(
        "outreach_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_key", sa.String(length=32), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("bank_code", sa.String(length=32), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["assigned_to"], ["app_user.id"], name=op.f("fk_outreach_claim_assigned_to_app_user")),
        sa.ForeignKeyConstraint(["version_id"], ["list_version.id"], ondelete="CASCADE",
                                name=op.f("fk_outreach_claim_version_id_list_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_claim")),
    )
    with op.batch_alter_table("outreach_claim", schema=None) as b:
        b.create_index("uq_outreach_claim_active", ["entity_key"], unique=True,
                       sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        b.create_index("ix_outreach_claim_bank", ["bank_code", "status", "assigned_to"], unique=False)
        b.create_index("ix_outreach_claim_expiry", ["status", "expires_at"], unique=False)
        b.create_index("ix_outreach_claim_entity", ["entity_key"], unique=False)
    op.create_table(
        "outreach_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_key", sa.String(length=32), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("bank_code", sa.String(length=32), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("officer", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("next_follow_up", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["outreach_claim.id"],
                                name=op.f("fk_outreach_contact_claim_id_outreach_claim")),
        sa.ForeignKeyConstraint(["officer_id"], ["app_user.id"], name=op.f("fk_outreach_contact_officer_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_contact")),
    )
    with op.batch_alter_table("outreach_contact", schema=None) as b:
        b.create_index("ix_outreach_contact_entity", ["entity_key"], unique=False)
        b.create_index("ix_outreach_contact_bank", ["bank_code", "outcome"], unique=False)


def downgrade() -> None:
    op.drop_table("outreach_contact")
    op.drop_table("outreach_claim")
