"""Racing requests on a real database: one signature is accepted once, one Idempotency-Key does one write."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from shoudai.bankapi import auth, idempotency, keys, signing
from shoudai.bankapi.models import BankApiIdempotency
from shoudai.db import session_scope

NOW = datetime.now(UTC).replace(microsecond=0)


def _issue(engine):
    with session_scope(engine) as s:
        return keys.issue_key(s, "ICBC", actor="test", now=NOW)


def test_the_same_signature_sent_twice_at_once_is_accepted_once(engine):
    k = _issue(engine)
    h = signing.signed_headers(k.key_id, k.secret, "GET", "/api/v1/needs", now=NOW)
    outcomes, start = [], threading.Barrier(2)

    def call():
        start.wait()
        try:
            with session_scope(engine) as s:
                auth.authenticate(s, key_id=h["X-Api-Key"], timestamp=h["X-Timestamp"], signature=h["X-Signature"],
                                  method="GET", path_and_query="/api/v1/needs", body=b"", now=NOW)
            outcomes.append("ok")
        except auth.AuthFailed as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "replayed"]


def test_a_request_racing_one_with_the_same_key_gets_its_answer(engine):
    fp = idempotency.fingerprint("POST", "/api/v1/claims", b"{}")
    inserted, seen = threading.Event(), {}

    def first():
        with session_scope(engine) as s:
            stored, slot = idempotency.begin(s, "ICBC", "race-key-0001", fp, key_id="bk_a", now=NOW)
            assert stored is None
            inserted.set()
            threading.Event().wait(0.5)  # the write takes a while; the second request arrives meanwhile
            idempotency.finish(s, slot, 201, '{"id": 1}')

    def second():
        inserted.wait(10)
        with session_scope(engine) as s:
            seen["result"] = idempotency.begin(s, "ICBC", "race-key-0001", fp, key_id="bk_a", now=NOW)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    stored, slot = seen["result"]
    # The second waited for the first to commit (the unique key), then replays its answer instead of writing.
    assert slot is None and stored == idempotency.Stored(201, '{"id": 1}')
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(BankApiIdempotency)) == 1


def test_a_stale_answer_is_forgotten_after_a_day(session):
    fp = idempotency.fingerprint("POST", "/x", b"")
    _, slot = idempotency.begin(session, "ICBC", "old-key-0001", fp, key_id="bk_a", now=NOW)
    idempotency.finish(session, slot, 200, "{}")
    later = NOW + idempotency.KEEP
    other = idempotency.fingerprint("POST", "/y", b"")
    stored, slot = idempotency.begin(session, "ICBC", "old-key-0001", other, key_id="bk_a", now=later)
    assert stored is None and slot is not None  # a day on, the key may name a new request
    with pytest.raises(idempotency.IdempotencyRefused):
        idempotency.begin(session, "ICBC", "old-key-0001", fp, key_id="bk_a", now=later)
