"""Tables of the oversight domain. Money columns are integer fen (`*_fen`); rates are integers of 0.0001 % (`*_e4`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shoudai.db import Base


class ReportBatch(Base):
    """One applied 首贷发放明细 file (or the API's stream, batch-less) for a bank and a month."""

    __tablename__ = "ov_report_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    total_rows: Mapped[int] = mapped_column(Integer)
    inserted_rows: Mapped[int] = mapped_column(Integer)
    updated_rows: Mapped[int] = mapped_column(Integer)
    unchanged_rows: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReportFinding(Base):
    """A finding on one row of an applied file, shown to the bank (warnings and notes; errors reject the file)."""

    __tablename__ = "ov_report_finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ov_report_batch.id", ondelete="CASCADE"), index=True)
    row_no: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8))  # warning | info
    contract_no: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)


class FirstLoan(Base):
    """One reported loan; (bank_code, contract_no) is unique, so a re-sent contract updates it."""

    __tablename__ = "ov_first_loan"
    __table_args__ = (
        UniqueConstraint("bank_code", "contract_no"),
        Index("ix_ov_first_loan_period", "verdict", "period"),
        Index("ix_ov_first_loan_borrower", "borrower_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(16))
    contract_no: Mapped[str] = mapped_column(String(64))
    # uscc, or 'P:' + the blind index of the operator's ID number (individual business booked to its operator)
    borrower_key: Mapped[str] = mapped_column(String(80))
    borrower_uscc: Mapped[str | None] = mapped_column(String(18))
    borrower_id_enc: Mapped[str | None] = mapped_column(Text)  # AES-GCM; never in clear (X2)
    borrower_id_masked: Mapped[str | None] = mapped_column(String(32))
    borrower_name: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str | None] = mapped_column(String(6))
    disbursed_on: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM of disbursed_on
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    rate_e4: Mapped[int] = mapped_column(Integer)
    guarantee_type: Mapped[str] = mapped_column(String(16))
    guarantor: Mapped[str | None] = mapped_column(String(200))
    guarantee_fee_e4: Mapped[int | None] = mapped_column(Integer)
    # list_entry.id, no database FK (list_entry is partitioned on PostgreSQL): a rebuild sets it NULL (store)
    list_entry_id: Mapped[int | None] = mapped_column(Integer)
    list_kind: Mapped[str | None] = mapped_column(String(16))  # sme | individual, when on a list
    verdict: Mapped[str] = mapped_column(String(12))  # first | not_first
    relending_eligible: Mapped[bool] = mapped_column(Boolean)
    findings: Mapped[str] = mapped_column(Text, default="")  # Chinese, '；'-separated
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("ov_report_batch.id", ondelete="SET NULL"))
    row_no: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(12))  # file | api | correction
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MonthSummary(Base):
    """First loans per month × reporting unit × bank, kept in step with the loans by every write (bulletin, dashboard)."""

    __tablename__ = "ov_month_summary"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)  # '000000' where the county is unknown
    bank_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    households: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    listed: Mapped[int] = mapped_column(Integer)  # of which converted from the lists


class ListConversion(Base):
    """A list entry converted to a first-loan household (the entry itself is never altered)."""

    __tablename__ = "ov_list_conversion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # list_entry.id, no database FK (list_entry is partitioned on PostgreSQL): a rebuild deletes the row (store)
    list_entry_id: Mapped[int] = mapped_column(Integer, unique=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("ov_first_loan.id", ondelete="CASCADE"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    bank_code: Mapped[str] = mapped_column(String(16))
    converted_on: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MonthClose(Base):
    """A reporting month closed by the city admin: its loans change only by recorded correction."""

    __tablename__ = "ov_month_close"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    closed_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoanCorrection(Base):
    """A change to a loan of a closed month: who, why, before and after (JSON)."""

    __tablename__ = "ov_loan_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("ov_first_loan.id", ondelete="SET NULL"), index=True)
    bank_code: Mapped[str] = mapped_column(String(16))
    contract_no: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoanSubmission(Base):
    """An API submission's idempotency key: the same key and body give the same answer, never a second write."""

    __tablename__ = "ov_loan_submission"
    __table_args__ = (UniqueConstraint("bank_code", "idem_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(16))
    idem_key: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64))
    loan_id: Mapped[int] = mapped_column(ForeignKey("ov_first_loan.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Programme(Base):
    """A first-loan programme: its dates and the city's total goals (T1)."""

    __tablename__ = "ov_programme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    households_target: Mapped[int] = mapped_column(Integer)
    amount_target_fen: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Target(Base):
    """A yearly target for the city ('city', ''), a reporting unit ('unit', code) or a bank ('bank', code)."""

    __tablename__ = "ov_target"
    __table_args__ = (UniqueConstraint("programme_id", "year", "level", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("ov_programme.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(8))  # city | unit | bank
    code: Mapped[str] = mapped_column(String(16))
    households: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    basis: Mapped[str] = mapped_column(String(12))  # computed | edited
    weight: Mapped[int | None] = mapped_column(Integer)  # the list size (or bank weight) it was computed from
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AssessmentIndicator(Base):
    """One indicator of a year's assessment scheme (T4): weight and normalisation, editable by the city admin."""

    __tablename__ = "ov_assessment_indicator"
    __table_args__ = (UniqueConstraint("year", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(24))  # households | amount | conversion | sla | growth
    weight: Mapped[str] = mapped_column(String(16))  # Decimal text: points out of the scheme's total
    method: Mapped[str] = mapped_column(String(8))  # max | minmax
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SubsidyRule(Base):
    """The fee-subsidy rule of one year (I1): rate in ‰ and which loans are eligible."""

    __tablename__ = "ov_subsidy_rule"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    rate_per_mille: Mapped[str] = mapped_column(String(16))  # Decimal text, e.g. '0.5'
    eligible: Mapped[str] = mapped_column(String(16))  # first | listed_first
    window_from: Mapped[date | None] = mapped_column(Date)
    window_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RediscountBill(Base):
    """A commercial bill submitted for re-discount (I3)."""

    __tablename__ = "ov_rediscount_bill"
    __table_args__ = (UniqueConstraint("bill_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bill_no: Mapped[str] = mapped_column(String(64))
    bank_code: Mapped[str] = mapped_column(String(16))
    drawer_name: Mapped[str] = mapped_column(String(200))
    drawer_uscc: Mapped[str | None] = mapped_column(String(18))
    discounter_name: Mapped[str] = mapped_column(String(200))
    discounter_uscc: Mapped[str | None] = mapped_column(String(18))
    face_value_fen: Mapped[int] = mapped_column(BigInteger)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    discounted_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued | done | refused
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CompensationRule(Base):
    """The risk-compensation share for losses reported in a year (I4), as Decimal text (0.3 = 30 %)."""

    __tablename__ = "ov_compensation_rule"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    share: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CompensationClaim(Base):
    """A loss on a guaranteed first loan and the compensation claimed for it."""

    __tablename__ = "ov_compensation_claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("ov_first_loan.id", ondelete="RESTRICT"), index=True)
    bank_code: Mapped[str] = mapped_column(String(16))
    guarantor: Mapped[str] = mapped_column(String(200))
    loss_fen: Mapped[int] = mapped_column(BigInteger)
    share: Mapped[str] = mapped_column(String(16))
    claim_fen: Mapped[int] = mapped_column(BigInteger)
    reported_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # pending | approved | rejected
    reported_by: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
