"""X6 no loss: kill -9 PostgreSQL mid-load under the running app; every acknowledged need survives, retries with the
same Idempotency-Key resolve to exactly one need each, and the app recovers without a restart.

Needs its own PostgreSQL (fsync on) that it may crash, so it runs only where the `postgres` tests run and the server
binaries are installed. About 20–40 s.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import needload, pgcluster

from shoudai import migrate

pytestmark = [pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.skipif(pgcluster.pg_bin() is None, reason="PostgreSQL server binaries not installed")]

SUBMISSIONS = 120
CLIENTS = 8
CRASH_AFTER_ACKS = 30
DOWN_SECONDS = 1.5
GIVE_UP_AFTER = 45.0


class Client(threading.Thread):
    """Sends its share of submissions; a failure or no answer is retried with the same key until acknowledged."""

    def __init__(self, base: str, work: list[needload.Submission], log: dict, lock: threading.Lock):
        super().__init__(daemon=True)
        self.base, self.work, self.log, self.lock = base, work, log, lock

    def run(self) -> None:
        deadline = time.monotonic() + GIVE_UP_AFTER
        with httpx.Client(base_url=self.base, timeout=10) as http:
            for sub in self.work:
                while time.monotonic() < deadline:
                    try:
                        r = http.post("/api/v1/public/needs", json=sub.body,
                                      headers={"Idempotency-Key": sub.key, "X-Forwarded-For": sub.addr})
                        outcome = (r.status_code, r.json().get("ref") if r.status_code < 300 else r.text[:80])
                    except (httpx.TransportError, ValueError) as exc:
                        outcome = (0, type(exc).__name__)
                    with self.lock:
                        self.log.setdefault(sub.key, []).append(outcome)
                    if 200 <= outcome[0] < 300:
                        break
                    time.sleep(0.1)


@pytest.fixture
def cluster():
    c = pgcluster.Cluster()
    c.start()
    yield c
    c.stop()


def test_a_crash_mid_load_loses_no_acknowledged_need_and_duplicates_nothing(cluster, tmp_path):
    t0 = time.monotonic()
    migrate.upgrade(cluster.url)
    engine = create_engine(cluster.url)
    needload.ensure_channel(engine)
    work = needload.prepare(engine, (needload.made_up_business(i) for i in range(SUBMISSIONS)), tag="noloss")
    engine.dispose()
    port = pgcluster.free_port()
    app = pgcluster.serve_app(cluster.url, port=port, data_dir=str(tmp_path / "data"), log_path=tmp_path / "app.log")
    t_ready = time.monotonic()
    try:
        log: dict[str, list[tuple[int, str]]] = {}
        lock = threading.Lock()
        clients = [Client(f"http://127.0.0.1:{port}", work[i::CLIENTS], log, lock) for i in range(CLIENTS)]
        for c in clients:
            c.start()
        while _acks(log, lock) < CRASH_AFTER_ACKS:
            assert time.monotonic() - t_ready < GIVE_UP_AFTER, f"no load got through: {list(log.values())[:3]}"
            time.sleep(0.01)
        print(f"prepared and started in {t_ready - t0:.1f}s; crash at {time.monotonic() - t0:.1f}s")
        cluster.crash()  # mid-load: requests are in flight, some committed and not yet answered
        acked_before_crash = _acks(log, lock)
        time.sleep(DOWN_SECONDS)
        cluster.start()  # crash recovery replays the WAL; the app is not restarted
        for c in clients:
            c.join(GIVE_UP_AFTER + 15)
        assert app.poll() is None, "the app died"
        print(f"clients done at {time.monotonic() - t0:.1f}s")
        # The same app process, after recovery: acknowledged submissions sent again answer the same need, 200.
        replays = {}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for sub in work[:30]:
                r = http.post("/api/v1/public/needs", json=sub.body,
                              headers={"Idempotency-Key": sub.key, "X-Forwarded-For": sub.addr})
                replays[sub.key] = (r.status_code, r.json().get("ref"))
    finally:
        pgcluster.stop_app(app)

    first_ack = {k: next(ref for status, ref in v if 200 <= status < 300) for k, v in log.items()
                 if any(200 <= s < 300 for s, _ in v)}
    failures = [o for v in log.values() for o in v if not 200 <= o[0] < 300]
    assert acked_before_crash < SUBMISSIONS and failures, "the crash did not hit the load"
    unresolved = [w.key for w in work if w.key not in first_ack]
    assert not unresolved, f"unresolved after retries: {unresolved[:5]} {log.get(unresolved[0])}"

    engine = create_engine(cluster.url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT idempotency_key, ref, uscc, status, merged_into_id, "
                                 "(SELECT count(*) FROM need_bank b WHERE b.need_id = n.id) FROM need n")).all()
    engine.dispose()
    by_key = {}
    for key, ref, uscc, status, merged_into, tracks in rows:
        by_key.setdefault(key, []).append((ref, uscc, status, merged_into, tracks))
    # Every acknowledged need is there, under its key, with the reference the client was given (no loss) ...
    for key, ref in first_ack.items():
        assert [r[0] for r in by_key.get(key, [])] == [ref], key
    # ... every key resolved to exactly one need, and no business has two (no duplicates either way) ...
    assert len(rows) == SUBMISSIONS and len({r[2] for r in rows}) == SUBMISSIONS
    # ... and each is whole: verified, pushed, one track per consented bank (never a half-written need).
    for key, [(ref, uscc, status, merged_into, tracks)] in by_key.items():
        banks = next(w.body["banks"] for w in work if w.key == key) or [None] * 3
        assert (status, merged_into, tracks) == ("open", None, len(banks)), key
    assert replays == {k: (200, first_ack[k]) for k in replays}


def _acks(log: dict, lock: threading.Lock) -> int:
    with lock:
        return sum(1 for v in log.values() if any(200 <= s < 300 for s, _ in v))
