"""A small made-up list version for tests and demos (no real businesses): entries in two counties."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from shoudai.registry.models import ImportBatch, ListEntry, ListVersion

COUNTIES = ("410702", "410703")


def _batch(session: Session, kind: str, year: int) -> ImportBatch:
    b = ImportBatch(kind=kind, file_name=f"sample-{kind}-{year}.csv", sha256=f"{kind}{year}".ljust(64, "0"),
                    file_format="csv", encoding="utf-8", total_rows=0, accepted_rows=0, rejected_rows=0,
                    duplicate_rows=0, staged_path="-", actor="sample", created_at=datetime.now(UTC))
    session.add(b)
    session.flush()
    return b


def add_version(session: Session, year: int, n_per_county: int = 20, *, counties=COUNTIES,
                previous: ListVersion | None = None) -> ListVersion:
    """Version `year` with n entries per county (key S<county><i>); tiers A/B/C and kinds alternate. Flushes."""
    batches = [_batch(session, k, year) for k in ("registry", "tax", "credit")]
    rows = []
    for county in counties:
        for i in range(n_per_county):
            kind = "sme" if i % 2 == 0 else "individual"
            rows.append(dict(  # noqa: C408  (keyword form reads like the table)
                entity_key=f"S{county}{i:06d}", list_kind=kind, uscc=None, reg_no=f"{county}{i:09d}",
                name=f"{'红旗' if county == '410702' else '卫滨'}样本{'商贸有限公司' if kind == 'sme' else '便利店'}{i}",
                entity_kind="enterprise" if kind == "sme" else "individual", registry_type=None,
                county_code=county, industry_code="F5211" if i % 3 else "C1311",
                industry_section="F" if i % 3 else "C", address=f"{'胜利路' if i % 4 else '人民路'}{i}号",
                legal_rep_masked="张*", established_on="2020-01-01", tax_status="正常", tax_grade="B",
                tier="ABC"[i % 3], size_class="micro" if kind == "sme" else None,
                change="new" if previous is None or i % 5 == 0 else "carried",
                first_listed_year=year, reasons="有纳税记录；无贷款记录"))
    v = ListVersion(year=year, engine="duckdb", registry_batch_id=batches[0].id, tax_batch_id=batches[1].id,
                    credit_batch_id=batches[2].id, previous_version_id=previous.id if previous else None,
                    sme_count=sum(r["list_kind"] == "sme" for r in rows),
                    individual_count=sum(r["list_kind"] == "individual" for r in rows),
                    new_count=sum(r["change"] == "new" for r in rows),
                    carried_count=sum(r["change"] == "carried" for r in rows), removed_count=0,
                    content_digest="0" * 64, built_by="sample", built_at=datetime.now(UTC))
    session.add(v)
    session.flush()
    for start in range(0, len(rows), 5000):
        session.execute(insert(ListEntry), [{**r, "version_id": v.id} for r in rows[start:start + 5000]])
    return v
