"""Concurrent retries of one submission give one need (PostgreSQL: real concurrent transactions)."""

import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc

from shoudai.kit.calendar import SHANGHAI
from shoudai.lending import channels, service
from shoudai.lending.forms import NeedForm
from shoudai.lending.models import Need

AT = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)


@pytest.mark.parametrize("same_key", [True, False])
def test_racing_submissions_from_one_business_give_one_open_need(engine, same_key):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs concurrent transactions")
    code = "92410782MA0000009" + stdnum_uscc.calc_check_digit("92410782MA0000009")
    with Session(engine) as s, s.begin():
        channels.create_channel(s, code="race", name="race", kind="poster_campaign", actor="t", now=AT)
    form = NeedForm(uscc=code, name="并发商行", amount_wan="10", term_months="6", purpose="周转", guarantee="credit",
                    contact_name="王", contact_phone="13800138000", banks=("ICBC",), consent=True)
    barrier, results, errors = threading.Barrier(6), [], []

    def submit(i):
        try:
            with Session(engine) as s, s.begin():
                barrier.wait()
                key = "race-key-0001" if same_key else f"race-key-{i:04d}"
                r = service.submit_need(s, form, channel="race", idempotency_key=key, actor="web", now=AT,
                                        registry=lambda *_: None)
                results.append(r.need.id)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1
    with Session(engine) as s:
        open_needs = s.scalar(select(func.count()).select_from(Need).where(Need.merged_into_id.is_(None)))
        total = s.scalar(select(func.count()).select_from(Need))
    assert open_needs == 1 and total == (1 if same_key else 6)
