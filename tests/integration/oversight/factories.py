"""Test data for oversight: credit codes, a list version with entries, bulletin-style report files."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from shoudai.kit.codes import uscc_check_char
from shoudai.registry.models import ImportBatch, ListEntry, ListVersion

HEADERS = ["金融机构", "借款人统一社会信用代码", "借款人证件号码", "借款人名称", "合同编号", "发放日期", "金额(万元)",
           "期限(月)", "年利率(%)", "担保方式", "担保机构", "担保费率(%)"]


def uscc(county: str, n: int, category: str = "1") -> str:
    """A valid credit code registered in `county`, the n-th of its kind."""
    first17 = f"9{category}{county}{n:09d}"
    return first17 + uscc_check_char(first17)


def add_list(session, year: int, entries: list[tuple[str, str, str]]) -> ListVersion:
    """A list version for `year` holding (uscc, county, list_kind) entries."""
    now = datetime(year, 1, 5, tzinfo=UTC)
    batches = []
    for kind in ("registry", "tax", "credit"):
        b = ImportBatch(kind=kind, file_name=f"{kind}-{year}.csv", sha256=f"{kind}{year}".ljust(64, "0"),
                        file_format="csv", encoding="utf-8", total_rows=0, accepted_rows=0, rejected_rows=0,
                        duplicate_rows=0, staged_path="-", actor="test", created_at=now)
        session.add(b)
        batches.append(b)
    session.flush()
    v = ListVersion(year=year, engine="duckdb", registry_batch_id=batches[0].id, tax_batch_id=batches[1].id,
                    credit_batch_id=batches[2].id, sme_count=0, individual_count=0, new_count=len(entries),
                    carried_count=0, removed_count=0, content_digest="0" * 64, built_by="test", built_at=now)
    session.add(v)
    session.flush()
    for code, county, kind in entries:
        session.add(ListEntry(version_id=v.id, entity_key=code, list_kind=kind, uscc=code, name=f"企业{code[-5:]}",
                              entity_kind="enterprise" if kind == "sme" else "individual", county_code=county,
                              tier="A", change="new", first_listed_year=year, reasons="测试"))
    session.flush()
    return v


def report_csv(rows: list[list[object]], headers: list[str] = HEADERS, encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode(encoding)


def loan_row(bank: str, code: str, contract: str, day: str, amount: str, *, name: str = "某某商贸有限公司",
             guarantee: str = "信用", guarantor: str = "", fee: str = "", person: str = "") -> list[object]:
    return [bank, code, person, name, contract, day, amount, "12", "3.85", guarantee, guarantor, fee]
