"""The monthly summary stays equal to a direct count of the loans through imports, updates, corrections, deletions."""

from datetime import UTC, datetime

from shoudai.oversight.bulletin import aggregate_loans
from shoudai.oversight.reports.corrections import close_month, correct_loan
from shoudai.oversight.reports.service import submit_loan
from shoudai.oversight.summary import aggregate, rebuild_summary

from .dataset import D, F, load

NOW = datetime(2024, 5, 6, 2, tzinfo=UTC)
MONTHS = ["2023-11", "2024-01", "2024-03", "2024-04", "2024-05"]


def same(session) -> None:
    for m in MONTHS:
        for first in ("2022-12", "2024-01"):
            assert sorted(aggregate(session, m, first)) == sorted(aggregate_loans(session, m, first)), (m, first)


def test_summary_follows_every_write(session, admin, bank_user):
    load(session, admin, bank_user)
    same(session)
    close_month(session, "2024-03", actor=admin, now=NOW)
    # a correction moves ABC's March loan to F into April: March loses it, April gains it
    correct_loan(session, bank_code="ABC", contract_no="A-F",
                 values={"uscc": F, "name": "F", "disbursed_on": "2024-04-08", "amount": "8", "term": "12",
                         "rate": "4", "guarantee_type": "信用"}, reason="发放日期更正", actor=admin, now=NOW)
    same(session)
    # withdrawing A's first loan (January) makes A's March loan at ABC the first one
    correct_loan(session, bank_code="ABC", contract_no="A-1", values=None, reason="撤销", actor=admin, now=NOW)
    march = {(c, b): v for c, b, *v in aggregate(session, "2024-03", "2024-03")}
    assert march[("410702", "ABC")][0] == 1  # A-2 (10 万元) now counts in March
    same(session)
    # an API update changes the amount of D's April loan
    body = {"bank": "ICBC", "borrower_uscc": D, "borrower_name": "D", "contract_no": "I-D", "disbursed_on": "2024-04-02",
            "amount_wan": "41", "term_months": 12, "annual_rate_pct": "3.85", "guarantee_type": "信用"}
    submit_loan(session, body, bank_code="ICBC", idempotency_key="x", actor=bank_user, now=NOW)
    same(session)
    rebuild_summary(session)
    same(session)
