"""Scoped reads: a bank sees its own loans and files, a county officer its counties' loans (X1)."""

import pytest

from shoudai.accounts.scope import Scope
from shoudai.oversight.errors import PermissionDenied
from shoudai.oversight.models import ReportBatch
from shoudai.oversight.queries import batch_findings, batches, converted_entities, loans, monthly_trend

from .dataset import HQ, WH, load

CITY = Scope("city_admin")
ICBC = Scope("bank_hq", bank_code="ICBC")
ABC = Scope("bank_hq", bank_code="ABC")
WH_OFFICER = Scope("county_officer", county_codes=(WH,))


def test_scoped_reads(session, admin, bank_user):
    load(session, admin, bank_user)
    assert loans(session, CITY)[1] == 7
    icbc, n = loans(session, ICBC)
    assert n == 4 and {ln.bank_code for ln in icbc} == {"ICBC"}
    wh, n = loans(session, WH_OFFICER, verdict="first")
    assert n == 3 and {ln.county_code for ln in wh} == {WH}
    assert loans(session, Scope("enterprise", enterprise_uscc="x"))[1] == 0
    assert {b.bank_code for b in batches(session, ABC)} == {"ABC"}
    icbc_batch = session.query(ReportBatch).filter_by(bank_code="ICBC", period="2024-03").one()
    assert any("名单内" in f.message for f in batch_findings(session, ICBC, icbc_batch.id))
    with pytest.raises(PermissionDenied):
        batch_findings(session, ABC, icbc_batch.id)


def test_converted_entities(session, admin, bank_user):
    from datetime import date

    from .dataset import A, B, C, D

    load(session, admin, bank_user)
    assert converted_entities(session) == {A: date(2024, 1, 15), B: date(2024, 3, 5), C: date(2024, 3, 18),
                                           D: date(2024, 4, 2)}
    assert set(converted_entities(session, through=date(2024, 3, 31))) == {A, B, C}


def test_monthly_trend(session, admin, bank_user):
    load(session, admin, bank_user)
    trend = monthly_trend(session, 2024, "unit")
    assert trend[HQ] == {"2024-01": (1, 30_000_000), "2024-03": (1, 50_000_000)}
    assert trend[WH] == {"2024-03": (2, 20_500_000), "2024-04": (1, 40_000_000)}
    assert monthly_trend(session, 2024, "city")[""]["2024-03"] == (3, 70_500_000)
