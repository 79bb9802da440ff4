"""The outbox worker against a real database and a local webhook receiver that is down at first."""

import json
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.outbox import service, worker
from shoudai.outbox.models import DEAD, PENDING, SENT, OutboxMessage
from shoudai.outbox.webhook import (
    MESSAGE_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Endpoint,
    WebhookSender,
    sign,
    verify,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SECRET = "bank-secret-1"


class Clock:
    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


def _enqueue(engine, n=1, destination="ICBC"):
    with Session(engine) as s, s.begin():
        msgs = [service.enqueue(s, topic="need.pushed", channel=service.WEBHOOK, destination=destination,
                                payload={"need": f"XQ{i}", "金额": "50.00"}, actor="test", now=T0)
                for i in range(n)]
        s.flush()  # enqueue leaves the insert to the caller's next flush
        return [m.id for m in msgs]


def _rows(engine):
    with Session(engine) as s:
        return {m.id: m for m in s.scalars(select(OutboxMessage))}


def test_enqueue_rolls_back_with_the_caller(engine):
    with Session(engine) as s:
        service.enqueue(s, topic="t", channel=service.SMS, destination="sms", payload={}, actor="a", now=T0)
        s.rollback()
    assert _rows(engine) == {}


def test_a_down_endpoint_loses_nothing_and_gets_it_signed_later(engine, fake_server):
    fake_server.fail_first = 3
    [msg_id] = _enqueue(engine)
    clock, rng = Clock(T0), random.Random(7)
    sender = WebhookSender(lambda bank: Endpoint(fake_server.url, SECRET) if bank == "ICBC" else None, timeout=2)
    senders = {service.WEBHOOK: sender}
    delays = []
    for attempt in range(1, 4):
        stats = worker.run_once(engine, senders, now=clock, rng=rng)
        assert (stats.claimed, stats.retried, stats.sent) == (1, 1, 0)
        row = _rows(engine)[msg_id]
        assert row.status == PENDING and row.attempts == attempt and "503" in row.last_error
        due = service.utc(row.next_attempt_at)
        delays.append(due - clock.at)
        # Not due yet: nothing is claimed before the backoff has passed.
        assert worker.run_once(engine, senders, now=clock, rng=rng).claimed == 0
        clock.at = due
    assert delays[0] < delays[1] < delays[2]  # exponential, even with jitter (each is within [d/2, d])
    stats = worker.run_once(engine, senders, now=clock, rng=rng)
    assert stats.sent == 1
    row = _rows(engine)[msg_id]
    assert row.status == SENT and row.attempts == 4 and service.utc(row.sent_at) == clock.at
    assert len(fake_server.requests) == 4
    last = fake_server.requests[-1]
    ts, sig = last["headers"][TIMESTAMP_HEADER], last["headers"][SIGNATURE_HEADER]
    assert sig == sign(SECRET, ts, last["body"])
    assert verify(SECRET, ts, last["body"], sig, now_epoch=int(clock.at.timestamp()))
    assert not verify("other", ts, last["body"], sig, now_epoch=int(clock.at.timestamp()))
    assert {r["headers"][MESSAGE_ID_HEADER] for r in fake_server.requests} == {str(msg_id)}
    assert json.loads(last["body"]) == {"need": "XQ0", "金额": "50.00"}
    sender.close()


def test_gives_up_into_dead_after_max_attempts_and_can_be_requeued(engine, fake_server):
    fake_server.fail_first = 100
    [msg_id] = _enqueue(engine)
    clock = Clock(T0)
    senders = {service.WEBHOOK: WebhookSender(lambda b: Endpoint(fake_server.url, SECRET), timeout=2)}
    for _ in range(3):
        worker.run_once(engine, senders, now=clock, rng=random.Random(1), max_attempts=3)
        clock.at += timedelta(hours=2)
    row = _rows(engine)[msg_id]
    assert row.status == DEAD and row.attempts == 3
    assert worker.run_once(engine, senders, now=clock, max_attempts=3).claimed == 0
    with Session(engine) as s, s.begin():
        assert service.requeue_dead(s, None, actor="admin", now=clock.at) == 1
        assert service.counts(s) == {PENDING: 1, SENT: 0, DEAD: 0}


def test_a_worker_that_dies_mid_send_leaves_the_row_for_the_next(engine):
    [msg_id] = _enqueue(engine)
    claimed = worker.claim(engine, now=T0)
    assert [c.id for c in claimed] == [msg_id]
    assert worker.claim(engine, now=T0 + timedelta(seconds=30)) == []  # leased
    again = worker.claim(engine, now=T0 + worker.LEASE)
    assert [c.id for c in again] == [msg_id] and again[0].attempts == 2


def test_unknown_bank_and_unknown_channel(engine):
    [msg_id] = _enqueue(engine, destination="NOBANK")
    senders = {service.WEBHOOK: WebhookSender(lambda b: None)}
    stats = worker.run_once(engine, senders, now=Clock(T0))
    assert stats.retried == 1 and "no active webhook endpoint" in _rows(engine)[msg_id].last_error
    stats = worker.run_once(engine, {}, now=Clock(T0 + timedelta(days=1)))
    assert stats.dead == 1 and _rows(engine)[msg_id].status == DEAD


def test_backoff_is_bounded_and_jittered():
    rng = random.Random(3)
    for n in range(1, 20):
        d = worker.backoff(n, rng)
        full = min(worker.MAX_DELAY, worker.BASE_DELAY * 2 ** (n - 1))
        assert full / 2 <= d <= full
    assert worker.backoff(1, random.Random(1)) != worker.backoff(1, random.Random(2))


def test_two_workers_never_claim_the_same_row(engine):
    _enqueue(engine, n=6)
    if engine.dialect.name == "postgresql":
        # A second worker's claim runs while the first still holds its row locks: SKIP LOCKED passes them by.
        with Session(engine) as s, s.begin():
            held = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id).limit(3).with_for_update()))
            other = worker.claim(engine, now=T0)
            assert {c.id for c in other}.isdisjoint({m.id for m in held}) and len(other) == 3
        return
    first, second = worker.claim(engine, now=T0, batch=4), worker.claim(engine, now=T0, batch=4)
    assert len(first) == 4 and len(second) == 2 and {c.id for c in first}.isdisjoint({c.id for c in second})


def test_run_forever_delivers_until_stopped(engine, fake_server):
    import threading
    import time

    _enqueue(engine, n=3)
    stop = threading.Event()
    senders = {service.WEBHOOK: WebhookSender(lambda b: Endpoint(fake_server.url, SECRET), timeout=2)}
    thread = threading.Thread(target=worker.run_forever, args=(engine, senders),
                              kwargs={"stop": stop, "poll_seconds": 0.05})
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(fake_server.requests) < 3:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert {m.status for m in _rows(engine).values()} == {SENT}
