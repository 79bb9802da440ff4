"""oversight: first-loan reports, conversions, month closing and corrections, programmes and targets,
assessment schemes, subsidy rules, re-discount bills, risk compensation

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('ov_assessment_indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('weight', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_assessment_indicator')),
    sa.UniqueConstraint('year', 'code', name=op.f('uq_ov_assessment_indicator_year'))
    )
    op.create_table('ov_compensation_rule',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('share', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_ov_compensation_rule'))
    )
    op.create_table('ov_month_close',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('closed_by', sa.String(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_ov_month_close'))
    )
    op.create_table('ov_month_summary',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('bank_code', sa.String(length=16), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('listed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period', 'county_code', 'bank_code', name=op.f('pk_ov_month_summary'))
    )
    op.create_table('ov_programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('households_target', sa.Integer(), nullable=False),
    sa.Column('amount_target_fen', sa.BigInteger(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_programme'))
    )
    op.create_table('ov_rediscount_bill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bill_no', sa.String(length=64), nullable=False),
    sa.Column('bank_code', sa.String(length=16), nullable=False),
    sa.Column('drawer_name', sa.String(length=200), nullable=False),
    sa.Column('drawer_uscc', sa.String(length=18), nullable=True),
    sa.Column('discounter_name', sa.String(length=200), nullable=False),
    sa.Column('discounter_uscc', sa.String(length=18), nullable=True),
    sa.Column('face_value_fen', sa.BigInteger(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('discounted_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_rediscount_bill')),
    sa.UniqueConstraint('bill_no', name=op.f('uq_ov_rediscount_bill_bill_no'))
    )
    op.create_table('ov_report_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_code', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('inserted_rows', sa.Integer(), nullable=False),
    sa.Column('updated_rows', sa.Integer(), nullable=False),
    sa.Column('unchanged_rows', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_report_batch'))
    )
    op.create_table('ov_subsidy_rule',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('rate_per_mille', sa.String(length=16), nullable=False),
    sa.Column('eligible', sa.String(length=16), nullable=False),
    sa.Column('window_from', sa.Date(), nullable=True),
    sa.Column('window_to', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_ov_subsidy_rule'))
    )
    op.create_table('ov_report_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=True),
    sa.Column('column', sa.String(length=32), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('contract_no', sa.String(length=64), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ov_report_batch.id'], name=op.f('fk_ov_report_finding_batch_id_ov_report_batch'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_report_finding'))
    )
    op.create_index(op.f('ix_ov_report_finding_batch_id'), 'ov_report_finding', ['batch_id'], unique=False)
    op.create_table('ov_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('basis', sa.String(length=12), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['ov_programme.id'], name=op.f('fk_ov_target_programme_id_ov_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_target')),
    sa.UniqueConstraint('programme_id', 'year', 'level', 'code', name=op.f('uq_ov_target_programme_id'))
    )
    op.create_table('ov_first_loan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_code', sa.String(length=16), nullable=False),
    sa.Column('contract_no', sa.String(length=64), nullable=False),
    sa.Column('borrower_key', sa.String(length=80), nullable=False),
    sa.Column('borrower_uscc', sa.String(length=18), nullable=True),
    sa.Column('borrower_id_enc', sa.Text(), nullable=True),
    sa.Column('borrower_id_masked', sa.String(length=32), nullable=True),
    sa.Column('borrower_name', sa.String(length=200), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=True),
    sa.Column('disbursed_on', sa.Date(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('rate_e4', sa.Integer(), nullable=False),
    sa.Column('guarantee_type', sa.String(length=16), nullable=False),
    sa.Column('guarantor', sa.String(length=200), nullable=True),
    sa.Column('guarantee_fee_e4', sa.Integer(), nullable=True),
    sa.Column('list_entry_id', sa.Integer(), nullable=True),
    sa.Column('list_kind', sa.String(length=16), nullable=True),
    sa.Column('verdict', sa.String(length=12), nullable=False),
    sa.Column('relending_eligible', sa.Boolean(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('row_no', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ov_report_batch.id'], name=op.f('fk_ov_first_loan_batch_id_ov_report_batch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['list_entry_id'], ['list_entry.id'], name=op.f('fk_ov_first_loan_list_entry_id_list_entry'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_first_loan')),
    sa.UniqueConstraint('bank_code', 'contract_no', name=op.f('uq_ov_first_loan_bank_code'))
    )
    op.create_index('ix_ov_first_loan_borrower', 'ov_first_loan', ['borrower_key'], unique=False)
    op.create_index('ix_ov_first_loan_period', 'ov_first_loan', ['verdict', 'period'], unique=False)
    op.create_table('ov_compensation_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('bank_code', sa.String(length=16), nullable=False),
    sa.Column('guarantor', sa.String(length=200), nullable=False),
    sa.Column('loss_fen', sa.BigInteger(), nullable=False),
    sa.Column('share', sa.String(length=16), nullable=False),
    sa.Column('claim_fen', sa.BigInteger(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reported_by', sa.String(length=64), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['ov_first_loan.id'], name=op.f('fk_ov_compensation_claim_loan_id_ov_first_loan'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_compensation_claim'))
    )
    op.create_index(op.f('ix_ov_compensation_claim_loan_id'), 'ov_compensation_claim', ['loan_id'], unique=False)
    op.create_table('ov_list_conversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_entry_id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('bank_code', sa.String(length=16), nullable=False),
    sa.Column('converted_on', sa.Date(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['list_entry_id'], ['list_entry.id'], name=op.f('fk_ov_list_conversion_list_entry_id_list_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['loan_id'], ['ov_first_loan.id'], name=op.f('fk_ov_list_conversion_loan_id_ov_first_loan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_list_conversion')),
    sa.UniqueConstraint('list_entry_id', name=op.f('uq_ov_list_conversion_list_entry_id'))
    )
    op.create_index(op.f('ix_ov_list_conversion_loan_id'), 'ov_list_conversion', ['loan_id'], unique=False)
    op.create_table('ov_loan_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=True),
    sa.Column('bank_code', sa.String(length=16), nullable=False),
    sa.Column('contract_no', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['ov_first_loan.id'], name=op.f('fk_ov_loan_correction_loan_id_ov_first_loan'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_loan_correction'))
    )
    op.create_index(op.f('ix_ov_loan_correction_loan_id'), 'ov_loan_correction', ['loan_id'], unique=False)
    op.create_table('ov_loan_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_code', sa.String(length=16), nullable=False),
    sa.Column('idem_key', sa.String(length=100), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['ov_first_loan.id'], name=op.f('fk_ov_loan_submission_loan_id_ov_first_loan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ov_loan_submission')),
    sa.UniqueConstraint('bank_code', 'idem_key', name=op.f('uq_ov_loan_submission_bank_code'))
    )


def downgrade() -> None:

    op.drop_table('ov_loan_submission')
    op.drop_index(op.f('ix_ov_loan_correction_loan_id'), table_name='ov_loan_correction')
    op.drop_table('ov_loan_correction')
    op.drop_index(op.f('ix_ov_list_conversion_loan_id'), table_name='ov_list_conversion')
    op.drop_table('ov_list_conversion')
    op.drop_index(op.f('ix_ov_compensation_claim_loan_id'), table_name='ov_compensation_claim')
    op.drop_table('ov_compensation_claim')
    op.drop_index('ix_ov_first_loan_period', table_name='ov_first_loan')
    op.drop_index('ix_ov_first_loan_borrower', table_name='ov_first_loan')
    op.drop_table('ov_first_loan')
    op.drop_table('ov_target')
    op.drop_index(op.f('ix_ov_report_finding_batch_id'), table_name='ov_report_finding')
    op.drop_table('ov_report_finding')
    op.drop_table('ov_subsidy_rule')
    op.drop_table('ov_report_batch')
    op.drop_table('ov_rediscount_bill')
    op.drop_table('ov_programme')
    op.drop_table('ov_month_summary')
    op.drop_table('ov_month_close')
    op.drop_table('ov_compensation_rule')
    op.drop_table('ov_assessment_indicator')
