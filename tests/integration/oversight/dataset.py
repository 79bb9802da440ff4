"""A small hand-made city whose bulletin, assessment and subsidy figures the tests work out by hand.

Units: 红旗区 (HQ) and 卫辉市 (WH). Banks: ICBC and ABC. The 2024 lists hold A, B (HQ) and C, D (WH).

    month    bank  borrower        amount(万元)  note
    2023-11  ICBC  E (HQ, unlisted)  20        before 2024: cumulative only
    2024-01  ABC   A (HQ, listed)    30
    2024-03  ICBC  B (HQ, listed)    50
    2024-03  ICBC  C (WH, listed)    12.5      政府性融资担保, 新乡担保, fee 0.8 %
    2024-03  ABC   F (WH, unlisted)   8
    2024-03  ABC   A again            10      A's second loan: not a first loan
    2024-04  ICBC  D (WH, listed)    40        after the March bulletin
"""

from __future__ import annotations

from datetime import UTC, datetime

from shoudai.oversight.reports.service import import_report
from shoudai.oversight.targets import ensure_default_programme, set_target

from .factories import add_list, loan_row, report_csv, uscc

HQ, WH = "410702", "410781"
A, B, E = uscc(HQ, 1), uscc(HQ, 2), uscc(HQ, 5)
C, D, F = uscc(WH, 3, "2"), uscc(WH, 4), uscc(WH, 6)
GUARANTOR = "新乡市中小企业融资担保有限公司"


def load(session, admin, bank_user) -> int:
    """Load the dataset; returns the programme id."""
    add_list(session, 2024, [(A, HQ, "sme"), (B, HQ, "sme"), (C, WH, "individual"), (D, WH, "sme")])
    now = datetime(2024, 5, 6, 2, 0, tzinfo=UTC)
    files = [
        ("ICBC", "2023-11", [loan_row("ICBC", E, "I-E", "2023-11-20", "20")]),
        ("ABC", "2024-01", [loan_row("ABC", A, "A-1", "2024-01-15", "30")]),
        ("ICBC", "2024-03", [loan_row("ICBC", B, "I-B", "2024-03-05", "50"),
                             loan_row("ICBC", C, "I-C", "2024-03-18", "12.5", guarantee="政府性融资担保",
                                      guarantor=GUARANTOR, fee="0.8")]),
        ("ABC", "2024-03", [loan_row("ABC", F, "A-F", "2024-03-08", "8"),
                            loan_row("ABC", A, "A-2", "2024-03-09", "10")]),
        ("ICBC", "2024-04", [loan_row("ICBC", D, "I-D", "2024-04-02", "40")]),
    ]
    for bank, period, rows in files:
        res = import_report(session, report_csv(rows), bank_code=bank, period=period, file_name=f"{bank}-{period}.csv",
                            actor=bank_user, now=now)
        assert res.status == "applied", res.problems
    programme = ensure_default_programme(session, actor=admin, now=now)
    for level, code, hh, wan in (("unit", HQ, 10, 500), ("unit", WH, 4, 100), ("bank", "ICBC", 8, 300),
                                 ("bank", "ABC", 5, 200)):
        set_target(session, programme.id, 2024, level, code, households=hh, amount_fen=wan * 1_000_000, actor=admin,
                   now=now)
    return programme.id


def add_211_tracks(session) -> None:
    """Two ICBC tracks pushed in March 2024 for HQ businesses: one answered in 5 h, one late after 30 h."""
    from shoudai.lending.models import Channel, Need, NeedBank

    at = datetime(2024, 3, 1, tzinfo=UTC)
    ch = Channel(code="test", name="测试渠道", kind="poster", created_at=at, created_by="t")
    session.add(ch)
    session.flush()
    for i, (pushed, due, answered, late) in enumerate([
        (datetime(2024, 3, 4, 1, tzinfo=UTC), datetime(2024, 3, 6, 16, tzinfo=UTC), datetime(2024, 3, 4, 6, tzinfo=UTC), False),
        (datetime(2024, 3, 5, 1, tzinfo=UTC), datetime(2024, 3, 7, 16, tzinfo=UTC), datetime(2024, 3, 6, 7, tzinfo=UTC), True),
    ]):
        need = Need(ref=f"N{i}", idempotency_key=f"k{i}", channel_id=ch.id, uscc=A, name="甲", county_code=HQ,
                    amount_wan=10, term_months=12, purpose="经营", guarantee="信用", requested_banks="[]",
                    contact_name_enc="x", contact_phone_enc="x", phone_bidx=f"p{i}", consent_banks="[]",
                    consent_purpose="x", consent_data="x", consent_given_at=at, status="open", created_at=at,
                    created_by="t", updated_at=at)
        session.add(need)
        session.flush()
        session.add(NeedBank(need_id=need.id, bank_code="ICBC", routed_by="chosen", stage="answered",
                             pushed_at=pushed, answer_due_at=due, answered_at=answered, answer_breached=late,
                             updated_at=at))
    session.flush()
