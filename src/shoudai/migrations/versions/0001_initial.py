"""initial schema: imports, lists, calendar

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 17:18:37.221472
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('file_format', sa.String(length=16), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=True),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('accepted_rows', sa.Integer(), nullable=False),
    sa.Column('rejected_rows', sa.Integer(), nullable=False),
    sa.Column('duplicate_rows', sa.Integer(), nullable=False),
    sa.Column('staged_path', sa.String(length=500), nullable=False),
    sa.Column('rejects_path', sa.String(length=500), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch')),
    sa.UniqueConstraint('kind', 'sha256', name=op.f('uq_import_batch_kind'))
    )
    op.create_table('list_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('engine', sa.String(length=16), nullable=False),
    sa.Column('registry_batch_id', sa.Integer(), nullable=False),
    sa.Column('tax_batch_id', sa.Integer(), nullable=False),
    sa.Column('credit_batch_id', sa.Integer(), nullable=False),
    sa.Column('previous_version_id', sa.Integer(), nullable=True),
    sa.Column('sme_count', sa.Integer(), nullable=False),
    sa.Column('individual_count', sa.Integer(), nullable=False),
    sa.Column('new_count', sa.Integer(), nullable=False),
    sa.Column('carried_count', sa.Integer(), nullable=False),
    sa.Column('removed_count', sa.Integer(), nullable=False),
    sa.Column('content_digest', sa.String(length=64), nullable=False),
    sa.Column('built_by', sa.String(length=64), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['credit_batch_id'], ['import_batch.id'], name=op.f('fk_list_version_credit_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['previous_version_id'], ['list_version.id'], name=op.f('fk_list_version_previous_version_id_list_version')),
    sa.ForeignKeyConstraint(['registry_batch_id'], ['import_batch.id'], name=op.f('fk_list_version_registry_batch_id_import_batch')),
    sa.ForeignKeyConstraint(['tax_batch_id'], ['import_batch.id'], name=op.f('fk_list_version_tax_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_version')),
    sa.UniqueConstraint('year', name=op.f('uq_list_version_year'))
    )
    op.create_table('list_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('entity_key', sa.String(length=32), nullable=False),
    sa.Column('list_kind', sa.String(length=16), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('reg_no', sa.String(length=15), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('entity_kind', sa.String(length=16), nullable=False),
    sa.Column('registry_type', sa.String(length=50), nullable=True),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('industry_code', sa.String(length=5), nullable=True),
    sa.Column('industry_section', sa.String(length=1), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('legal_rep_masked', sa.String(length=50), nullable=True),
    sa.Column('established_on', sa.String(length=10), nullable=True),
    sa.Column('tax_status', sa.String(length=8), nullable=True),
    sa.Column('tax_grade', sa.String(length=2), nullable=True),
    sa.Column('tier', sa.String(length=1), nullable=False),
    sa.Column('size_class', sa.String(length=8), nullable=True),
    sa.Column('change', sa.String(length=8), nullable=False),
    sa.Column('first_listed_year', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['list_version.id'], name=op.f('fk_list_entry_version_id_list_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_entry')),
    sa.UniqueConstraint('version_id', 'entity_key', name=op.f('uq_list_entry_version_id'))
    )
    with op.batch_alter_table('list_entry', schema=None) as batch_op:
        batch_op.create_index('ix_list_entry_scope', ['version_id', 'county_code', 'list_kind', 'tier'], unique=False)
        batch_op.create_index('ix_list_entry_uscc', ['uscc'], unique=False)

    op.create_table('list_removal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('entity_key', sa.String(length=32), nullable=False),
    sa.Column('list_kind', sa.String(length=16), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('reg_no', sa.String(length=15), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('reason_code', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['list_version.id'], name=op.f('fk_list_removal_version_id_list_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_removal')),
    sa.UniqueConstraint('version_id', 'entity_key', name=op.f('uq_list_removal_version_id'))
    )


def downgrade() -> None:
    op.drop_table('list_removal')
    with op.batch_alter_table('list_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_list_entry_uscc')
        batch_op.drop_index('ix_list_entry_scope')

    op.drop_table('list_entry')
    op.drop_table('list_version')
    op.drop_table('import_batch')
    op.drop_table('calendar_day')
