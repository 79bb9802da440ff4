"""accounts: index app_user.enterprise_uscc (every verified need looks up its business's account)

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_app_user_enterprise_uscc", "app_user", ["enterprise_uscc"])


def downgrade() -> None:
    op.drop_index("ix_app_user_enterprise_uscc", table_name="app_user")
