"""bank API credentials (per-bank keys for request signatures), seen signatures, stored answers to writes

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("bank_code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("county_codes", sa.String(length=200), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_api_key")),
        sa.UniqueConstraint("key_id", name=op.f("uq_bank_api_key_key_id")),
    )
    op.create_index("ix_bank_api_key_bank", "bank_api_key", ["bank_code"], unique=False)
    op.create_table(
        "bank_api_nonce",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "signature", name=op.f("pk_bank_api_nonce")),
    )
    op.create_index("ix_bank_api_nonce_seen", "bank_api_nonce", ["seen_at"], unique=False)
    op.create_table(
        "bank_api_idempotency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_code", sa.String(length=32), nullable=False),
        sa.Column("idem_key", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_api_idempotency")),
        sa.UniqueConstraint("bank_code", "idem_key", name=op.f("uq_bank_api_idempotency_bank_code")),
    )
    op.create_index("ix_bank_api_idempotency_created", "bank_api_idempotency", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("bank_api_idempotency")
    op.drop_table("bank_api_nonce")
    op.drop_table("bank_api_key")
