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


def test_two_officers_stepping_one_track_at_once_take_turns(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs concurrent transactions")
    from shoudai.lending import actions
    from shoudai.lending.common import LendingError
    from shoudai.lending.models import NeedBank
    from shoudai.lending.tracks import new_row
    from shoudai.reference.calendar_store import load_calendar

    code = "92410782MA0000017" + stdnum_uscc.calc_check_digit("92410782MA0000017")
    with Session(engine) as s, s.begin():
        channels.create_channel(s, code="race2", name="race", kind="poster_campaign", actor="t", now=AT)
        form = NeedForm(uscc=code, name="并发商行", amount_wan="10", term_months="6", purpose="周转",
                        guarantee="credit", contact_name="王", contact_phone="13800138000", banks=("ICBC",),
                        consent=True)
        need = service.submit_need(s, form, channel="race2", idempotency_key="race2-key", actor="web", now=AT,
                                   registry=lambda *_: None).need
        row = new_row(need.id, "ICBC", at=AT, cal=load_calendar(s), routed_by="chosen")
        s.add(row)
        s.flush()
        track_id = row.id
    barrier, done, refused = threading.Barrier(2), [], []

    def step(i):
        with Session(engine) as s, s.begin():
            barrier.wait()
            try:
                if i == 0:
                    actions.answer(s, track_id, ["提供纳税证明"], bank_code="ICBC", actor="officer-a", now=AT)
                else:
                    actions.decline(s, track_id, "no_collateral", bank_code="ICBC", actor="officer-b", now=AT)
                done.append(i)
            except LendingError:
                refused.append(i)

    threads = [threading.Thread(target=step, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Whichever came second found the track no longer pushed: exactly one step happened.
    assert len(done) == 1 and len(refused) == 1
    with Session(engine) as s:
        stage = s.get(NeedBank, track_id).stage
    assert stage == ("intent" if done == [0] else "declined")
