"""Tables of the registry domain: import batches, list versions, their entries and removals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoudai.db import Base


def code_string(width: int) -> String:
    """VARCHAR(width) for an ASCII code: COLLATE "C" on PostgreSQL (migration 0012), as SQLite compares bytes anyway."""
    return String(width).with_variant(String(width, collation="C"), "postgresql")


class ImportBatch(Base):
    """One agency file applied to the platform; (kind, sha256) makes re-imports a no-op."""

    __tablename__ = "import_batch"
    __table_args__ = (UniqueConstraint("kind", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # registry | tax | credit
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(16))  # csv | xlsx
    encoding: Mapped[str | None] = mapped_column(String(16))
    total_rows: Mapped[int] = mapped_column(Integer)
    accepted_rows: Mapped[int] = mapped_column(Integer)
    rejected_rows: Mapped[int] = mapped_column(Integer)
    duplicate_rows: Mapped[int] = mapped_column(Integer, default=0)
    staged_path: Mapped[str] = mapped_column(String(500))  # Parquet of the accepted, normalised rows
    rejects_path: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ListVersion(Base):
    """Year Y's two lists, built from three import batches against the previous version (L6)."""

    __tablename__ = "list_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    engine: Mapped[str] = mapped_column(String(16))
    registry_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))
    tax_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))
    credit_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("list_version.id"))
    sme_count: Mapped[int] = mapped_column(Integer)
    individual_count: Mapped[int] = mapped_column(Integer)
    new_count: Mapped[int] = mapped_column(Integer)
    carried_count: Mapped[int] = mapped_column(Integer)
    removed_count: Mapped[int] = mapped_column(Integer)
    # A digest of the sorted entries: the same inputs must give the same digest on either engine.
    content_digest: Mapped[str] = mapped_column(String(64))
    built_by: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ListEntry(Base):
    """One business on one year's list. entity_key = uscc, or 'R:' + 注册号 where only that is known.

    Look-ups by credit code rely on that (there is no index on uscc: migration 0013), so every writer keeps it.

    On PostgreSQL the table is partitioned by version (migration 0010): one partition per list_version, created
    when the version row is inserted, and the primary key there is (id, version_id); id is unique all the same (one
    sequence). Oversight rows point at id without a database foreign key: see store.delete_version_rows.
    """

    __tablename__ = "list_entry"
    __table_args__ = (
        UniqueConstraint("version_id", "entity_key"),
        # The list pages' order within a county; on PostgreSQL the filter columns ride along (migration 0007).
        Index("ix_list_entry_county", "version_id", "county_code", "entity_key",
              postgresql_include=["list_kind", "tier", "industry_section", "change", "address", "name"]),
        {"postgresql_partition_by": "LIST (version_id)"},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("list_version.id", ondelete="CASCADE"))
    entity_key: Mapped[str] = mapped_column(code_string(32))
    list_kind: Mapped[str] = mapped_column(String(16))  # sme | individual
    uscc: Mapped[str | None] = mapped_column(code_string(18))
    reg_no: Mapped[str | None] = mapped_column(code_string(15))
    name: Mapped[str] = mapped_column(String(200))
    entity_kind: Mapped[str] = mapped_column(String(16))  # enterprise | individual | cooperative
    registry_type: Mapped[str | None] = mapped_column(String(50))  # 主体类型 as registered
    county_code: Mapped[str] = mapped_column(code_string(6))
    industry_code: Mapped[str | None] = mapped_column(String(5))
    industry_section: Mapped[str | None] = mapped_column(String(1))
    address: Mapped[str | None] = mapped_column(String(300))
    legal_rep_masked: Mapped[str | None] = mapped_column(String(50))
    established_on: Mapped[str | None] = mapped_column(String(10))  # ISO date
    tax_status: Mapped[str | None] = mapped_column(String(8))
    tax_grade: Mapped[str | None] = mapped_column(String(2))
    tier: Mapped[str] = mapped_column(String(1))  # A | B | C
    size_class: Mapped[str | None] = mapped_column(String(8))  # micro | small | unknown (SME list only)
    change: Mapped[str] = mapped_column(String(8))  # new | carried
    first_listed_year: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(Text)  # Chinese, '；'-separated: why this business is on the list


class ListRemoval(Base):
    """A business on the previous version that left this one, and why."""

    __tablename__ = "list_removal"
    __table_args__ = (UniqueConstraint("version_id", "entity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("list_version.id", ondelete="CASCADE"))
    entity_key: Mapped[str] = mapped_column(code_string(32))
    list_kind: Mapped[str] = mapped_column(String(16))
    uscc: Mapped[str | None] = mapped_column(code_string(18))
    reg_no: Mapped[str | None] = mapped_column(code_string(15))
    name: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str] = mapped_column(code_string(6))
    # deregistered | tax_abnormal | converted | size_grown | gone
    reason_code: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(100))  # Chinese text of reason_code
