"""Issue 4 item 12: need submission at a fixed rate against PostgreSQL (target: p99 ≤ 100 ms at ≥ 200/s for 60 s,
zero errors). Run on demand:

    .venv/bin/python bench/need_submit_bench.py                       # 200/s for 5 s warm-up + 60 s, 2 workers
    .venv/bin/python bench/need_submit_bench.py --rate 40 --duration 20 --timeline

One "submission" is the final POST /api/v1/public/needs: the need form plus the one-time code, which records the need
(idempotent by key), verifies the code and cross-checks the registry, and pushes to the banks (tracks, clocks,
webhooks and the SMS through the outbox) — answered only after its commit. The one-time codes are prepared before
the run in bulk (bench.needload.prepare_bulk), so SMS sending is not measured.

Workers: 2 uvicorn processes by default, each running at most SHOUDAI_SUBMIT_THREADS (4) submissions at once; more
processes or threads measured slower here. Measured 2026-11-27, sixth session (load generator on the same 2 cores):
one submission costs 4–5 ms of app CPU and 2–2.5 ms of PostgreSQL CPU, varying with the machine's state from run
to run by as much as a change saves, so compare alternating runs. The first second after start is slower (first
prepared statements): the warm-up's errors are reported but the target is judged on the window.
Compare with the code before a change by running the same file with PYTHONPATH=<old checkout>/src, alternating.

Set-up: a throwaway PostgreSQL with fsync, synchronous_commit and full_page_writes ON (honest commits, unlike
scripts/pg.sh); one list version holding `--entities` synthetic businesses from shoudai.synth (the registry look-up
runs against them); banks HXRCB, PSBC and ICBC have webhook endpoints; `--history` earlier needs (closed, with their
tracks and timelines) and, once the one-time codes are prepared too, a VACUUM (ANALYZE), as on a platform in use
(see load_history and vacuum_analyze). The app runs under uvicorn in its
own process; the load comes from a second process on loopback: an open-loop generator (asyncio, keep-alive HTTP/1.1
written by hand: httpx alone cost ≈ 3 ms of CPU per request) that starts request i at t0 + i/rate whatever happened
before, with at most `--max-inflight` requests outstanding (one that finds the bound full counts as an error,
"shed"). Latency is measured from the scheduled start, so a stalled server cannot hide
behind a slowed generator. Each request comes from its own business, phone and X-Forwarded-For address.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))] if values else float("nan")


# --- the load generator (second process) ---

class Connection:
    """One keep-alive HTTP/1.1 connection on loopback, written by hand: httpx cost ≈ 3 ms of CPU per request here,
    as much as the server's share of the budget, and the generator shares the machine's 2 cores with the app."""

    def __init__(self, host: str, port: int):
        self.host, self.port, self.reader, self.writer = host, port, None, None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body)
        try:
            status_line = await self.reader.readuntil(b"\r\n")
            length, close = 0, False
            while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            payload = await self.reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            raise
        if close:
            self.close()
        return int(status_line.split()[1]), payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def drive(base: str, subs: list[dict], rate: float, max_inflight: int) -> dict:
    host, port = base.removeprefix("http://").split(":")
    idle = [Connection(host, int(port)) for _ in range(max_inflight)]  # at most max_inflight requests outstanding
    latencies: list[tuple[float, float, bool]] = []  # (scheduled offset, latency, acknowledged)
    shed: list[float] = []  # scheduled offsets of requests not sent: the bound on requests in flight was full
    statuses: dict[str, int] = {}
    done = asyncio.Event()
    remaining = len(subs)

    async def one(conn: Connection, sub: dict, scheduled: float, offset: float) -> None:
        nonlocal remaining
        body = json.dumps(sub["body"], ensure_ascii=False).encode()
        headers = {"Idempotency-Key": sub["key"], "X-Forwarded-For": sub["addr"]}
        try:
            try:
                code, text = await asyncio.wait_for(conn.post("/api/v1/public/needs", body, headers), 30)
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    raise
                # The server closed an idle keep-alive connection: send again on a new one (safe: same key).
                code, text = await conn.post("/api/v1/public/needs", body, headers)
            status = str(code)
            if code != 201:
                status += " " + text[:60].decode(errors="replace")
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            conn.close()
            status = type(exc).__name__
        idle.append(conn)
        latencies.append((offset, time.perf_counter() - scheduled, status == "201"))
        statuses[status] = statuses.get(status, 0) + 1
        remaining -= 1
        if remaining == 0:
            done.set()

    t0 = time.perf_counter() + 0.2
    for i, sub in enumerate(subs):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if not idle:
            statuses["shed"] = statuses.get("shed", 0) + 1
            shed.append(i / rate)
            remaining -= 1
            continue
        asyncio.get_running_loop().create_task(one(idle.pop(), sub, scheduled, i / rate))
    if remaining:
        await done.wait()
    elapsed = time.perf_counter() - t0
    for conn in idle:
        conn.close()
    return {"latencies": latencies, "shed": shed, "statuses": statuses, "elapsed": elapsed}


def generator_main(path: str, base: str, rate: float, max_inflight: int, warmup: int) -> None:
    subs = json.loads(Path(path).read_text())
    out = asyncio.run(drive(base, subs, rate, max_inflight))
    out["warmup"] = warmup
    Path(path + ".out").write_text(json.dumps(out))


# --- set-up and report (first process) ---

def synthetic_businesses(n: int, seed: int, cache: Path) -> list:
    """Operating businesses with valid codes from the synthetic city (generated once per size and seed)."""
    from stdnum.cn import uscc as stdnum_uscc

    from bench.needload import Business
    from shoudai.lending.identity import normalise_name
    from shoudai.synth import generate_city

    out_dir = cache / f"synth-{n}-{seed}"
    if not (out_dir / "registry.csv").exists():
        generate_city(n, seed, out_dir, xlsx=False)
    seen, out = set(), []
    with open(out_dir / "registry.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            code = "".join(row["统一社会信用代码"].split()).upper()
            name = " ".join(row["主体名称"].split())
            rep = row["法定代表人"].strip()
            if row["登记状态"] not in ("存续", "在业") or not stdnum_uscc.is_valid(code) or code in seen or not rep:
                continue
            seen.add(code)
            out.append((Business(code, normalise_name(name), rep), row["行政区划代码"] or "410702",
                        row["主体类型"].startswith("个体")))
    return out


def load_list(url: str, entries: list) -> None:
    """One list version (2026) holding the businesses, as the list build would leave it."""
    import psycopg

    from shoudai.kit.masking import surname_of

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn, conn.cursor() as cur:
        cur.execute("""
            INSERT INTO import_batch (id, kind, file_name, sha256, file_format, encoding, total_rows, accepted_rows,
                                      rejected_rows, duplicate_rows, staged_path, actor, created_at)
            SELECT i, k, k || '.csv', md5(k), 'csv', 'utf-8', 0, 0, 0, 0, '/dev/null', 'bench', now()
            FROM (VALUES (1, 'registry'), (2, 'tax'), (3, 'credit')) AS b(i, k);
            INSERT INTO list_version (id, year, engine, registry_batch_id, tax_batch_id, credit_batch_id, sme_count,
                                      individual_count, new_count, carried_count, removed_count, content_digest,
                                      built_by, built_at)
            VALUES (1, 2026, 'duckdb', 1, 2, 3, 0, 0, 0, 0, 0, 'bench', 'bench', now());""")
        cols = ("version_id, entity_key, list_kind, uscc, name, entity_kind, county_code, legal_rep_masked, tier, "
                "change, first_listed_year, reasons")
        with cur.copy(f"COPY list_entry ({cols}) FROM STDIN") as cp:
            for biz, county, individual in entries:
                cp.write_row((1, biz.uscc, "individual" if individual else "sme", biz.uscc, biz.name,
                              "individual" if individual else "enterprise", county,
                              surname_of(biz.legal_rep) + "*", "B", "new", 2026, "登记状态：存续"))
        conn.commit()
        cur.execute("ANALYZE")


def load_history(url: str, needs: int) -> None:
    """Earlier needs, as a platform in use holds them: closed, older than the 30-day merge window, two tracks and
    four timeline events each; then ANALYZE, as autovacuum would have by then. Without them every table starts
    empty, and PostgreSQL's cached plans (made while a table looked empty) scan it whole for the first minute."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn, conn.cursor() as cur:
        for statement in ("""
            INSERT INTO need (ref, idempotency_key, kind, channel_id, uscc, name, county_code, entity_kind, amount_wan,
                              term_months, purpose, guarantee, recommend_for_me, requested_banks, contact_name_enc,
                              contact_phone_enc, phone_bidx, consent_banks, consent_purpose, consent_data,
                              consent_given_at, identity_level, identity_method, verified_at, status, created_at,
                              created_by, updated_at)
            SELECT 'H' || lpad(g::text, 9, '0'), 'history-' || g, 'first_loan', (SELECT min(id) FROM lending_channel),
                   '9141070' || lpad(g::text, 11, '0'), '历史商户' || g, '410702', 'individual', 30, 12, '经营周转',
                   '信用', false, '["HXRCB", "PSBC"]', 'x', 'x', md5(g::text), '["HXRCB", "PSBC"]', '经营融资',
                   '联系人、联系电话', at, 1, 'sms_otp', at, 'closed', at, 'public:need-api', at
            FROM generate_series(1, %(n)s) g, LATERAL (SELECT now() - interval '31 days' - g * interval '7 minutes') t(at)""",
                          """
            INSERT INTO need_bank (need_id, bank_code, routed_by, stage, pushed_at, answer_due_at, answered_at,
                                   closed_at, updated_at)
            SELECT n.id, b, 'chosen', 'declined', n.created_at, n.created_at + interval '2 days',
                   n.created_at + interval '1 day', n.created_at + interval '1 day', n.created_at
            FROM need n, unnest(ARRAY['HXRCB', 'PSBC']) b WHERE n.status = 'closed'""", """
            INSERT INTO need_event (need_id, need_bank_id, at, kind, actor, detail)
            SELECT need_id, id, pushed_at, k, 'public:need-api', '{}'
            FROM need_bank, unnest(ARRAY['pushed', 'declined']) k""", "ANALYZE"):
            cur.execute(statement, {"n": needs} if "%(n)s" in statement else None)
        conn.commit()


def set_up_database(url: str, entries: list, history: int = 0) -> None:
    """The list version, the bench channel, webhook endpoints for three banks, and `history` earlier needs."""
    from bench import needload
    from shoudai.db import make_engine, session_scope
    from shoudai.lending import delivery

    load_list(url, entries)
    engine = make_engine(url)
    needload.ensure_channel(engine)
    with session_scope(engine) as s:
        for bank in ("HXRCB", "PSBC", "ICBC"):
            delivery.set_bank_endpoint(s, bank, f"https://{bank.lower()}.example.cn/hook", "secret-" + bank * 4,
                                       actor="system:bench")
    engine.dispose()
    load_history(url, history)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=200.0, help="submissions started per second")
    ap.add_argument("--duration", type=int, default=60, help="measured seconds")
    ap.add_argument("--warmup", type=int, default=5, help="seconds at the same rate before the measurement")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (see the docstring)")
    ap.add_argument("--max-inflight", type=int, default=64)
    ap.add_argument("--entities", type=int, default=0, help="synthetic city size (default: enough for the run)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--history", type=int, default=50_000,
                    help="earlier (closed) needs in the database before the run; 0 starts from empty tables")
    ap.add_argument("--fsync", choices=("on", "off"), default="on", help="off only to diagnose what commits cost")
    ap.add_argument("--keep", action="store_true", help="leave the database running (prints its URL)")
    ap.add_argument("--timeline", action="store_true", help="also print p50/p99/max latency per second of the run")
    ap.add_argument("--generator", nargs=4, metavar=("FILE", "BASE", "RATE", "INFLIGHT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generator:
        f, base, rate, inflight = args.generator
        generator_main(f, base, float(rate), int(inflight), 0)
        return 0

    from bench import needload, pgcluster
    from shoudai import migrate

    total = int(args.rate * (args.duration + args.warmup))
    work = Path(tempfile.mkdtemp(prefix="shoudai-need-bench."))
    cache = Path(tempfile.gettempdir()) / "shoudai-need-bench-cache"
    t = time.perf_counter()
    entries = synthetic_businesses(args.entities or max(20_000, int(total * 1.6)), args.seed, cache)
    if len(entries) < total:
        raise SystemExit(f"only {len(entries)} usable businesses for {total} submissions: raise --entities")
    print(f"synthetic city: {len(entries):,} operating businesses with valid codes ({time.perf_counter() - t:.1f} s)")
    durability = {} if args.fsync == "on" else {"fsync": "off", "synchronous_commit": "off"}
    cluster = pgcluster.Cluster(settings=durability)
    app = None
    try:
        cluster.start()
        url = cluster.url
        migrate.upgrade(url)
        t = time.perf_counter()
        set_up_database(url, entries, args.history)
        print(f"PostgreSQL (fsync {args.fsync}) on port {cluster.port}: {len(entries):,} list entries and "
              f"{args.history:,} earlier needs loaded "
              f"({time.perf_counter() - t:.1f} s)")
        port = pgcluster.free_port()
        app = pgcluster.serve_app(url, port=port, workers=args.workers, data_dir=str(work / "data"),
                                  log_path=work / "app.log")
        t = time.perf_counter()
        subs = needload.prepare_bulk(url, [e[0] for e in entries[:total]], tag="bench")
        print(f"{len(subs):,} one-time codes prepared ({time.perf_counter() - t:.1f} s); uvicorn workers: {args.workers}")
        vacuum_analyze(url)
        path = work / "subs.json"
        path.write_text(json.dumps([{"key": s.key, "body": s.body, "addr": s.addr} for s in subs], ensure_ascii=False))
        background = database_background(url)
        cpu = (pgcluster.tree_cpu_seconds(app.pid), pgcluster.tree_cpu_seconds(cluster.postmaster_pid()),
               resource.getrusage(resource.RUSAGE_CHILDREN))
        subprocess.run([sys.executable, __file__, "--generator", str(path), f"http://127.0.0.1:{port}",
                        str(args.rate), str(args.max_inflight)], check=True)
        gen = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = json.loads(Path(str(path) + ".out").read_text())
        out["cpu"] = {"app": pgcluster.tree_cpu_seconds(app.pid) - cpu[0],
                      "postgres": pgcluster.tree_cpu_seconds(cluster.postmaster_pid()) - cpu[1],
                      "generator": gen.ru_utime + gen.ru_stime - cpu[2].ru_utime - cpu[2].ru_stime}
        report(out, args, url)
        after = database_background(url)
        ran = {k: after[k] - background.get(k, 0) for k in after if after[k] != background.get(k, 0)}
        print("database background work during the run:", ", ".join(f"{k} ×{n}" for k, n in sorted(ran.items()))
              or "none")
        log = (work / "app.log").read_text(errors="replace")
        if "Traceback" in log:  # a 500 is the app's failure, not the load's: keep the log, which is removed below
            kept = Path(tempfile.gettempdir()) / f"need-submit-app-{port}.log"
            kept.write_text(log)
            print(f"the app logged tracebacks: {kept}")
        return 0
    finally:
        if app is not None:
            pgcluster.stop_app(app)
        if args.keep:
            print("database left running:", cluster.url, "; work files in", work)
        else:
            cluster.stop()
            shutil.rmtree(work, ignore_errors=True)


def vacuum_analyze(url: str) -> None:
    """VACUUM (ANALYZE) once the set-up's bulk rows are in (untimed): on a platform in use autovacuum would have
    caught up with rows that arrived over months, not all in the minute before the run. Autovacuum stays on for
    what the run itself writes, and its work during the run is reported."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def database_background(url: str) -> dict[str, int]:
    """Counts of PostgreSQL's own work that competes with the requests: autovacuum and autoanalyze per table, and
    checkpoints (a latency episode in --timeline can then be told from the app's own)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute("SELECT relname, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables").fetchall()
        checkpoints = conn.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter").fetchone()[0]
    counts = {"checkpoint": checkpoints}
    for table, vacuums, analyses in rows:
        counts[f"autovacuum {table}"], counts[f"autoanalyze {table}"] = vacuums, analyses
    return counts


def report(out: dict, args, url: str) -> None:
    import psycopg

    lat = out["latencies"]
    window = [(lat_s, ok) for offset, lat_s, ok in lat if offset >= args.warmup]  # started after the warm-up
    measured = [lat_s for lat_s, _ in window]
    ok = sum(n for s, n in out["statuses"].items() if s == "201")
    errors = {s: n for s, n in out["statuses"].items() if s != "201"}
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        needs = conn.execute("SELECT count(*) FROM need WHERE status = 'open'").fetchone()[0]
        tracks = conn.execute("SELECT count(*) FROM need_bank").fetchone()[0]
    load = os.getloadavg()
    print(f"offered {args.rate:.0f}/s for {args.warmup}+{args.duration} s (first {args.warmup} s not measured), "
          f"max in flight {args.max_inflight}, uvicorn workers {args.workers}")
    achieved = sum(1 for _, good in window if good) / args.duration
    window_errors = (sum(1 for offset, _, good in lat if offset >= args.warmup and not good)
                     + sum(1 for offset in out["shed"] if offset >= args.warmup))
    print(f"completed {len(lat):,} requests in {out['elapsed']:.1f} s; measured window: {achieved:.1f} submissions/s "
          f"acknowledged (201), errors {window_errors}; whole run: {ok:,} acknowledged, errors "
          f"{sum(errors.values())} {errors if errors else ''} (warm-up included)")
    print(f"latency over {len(measured):,} measured: p50 {statistics.median(measured) * 1000:.1f} ms, "
          f"p95 {pct(measured, 0.95) * 1000:.1f} ms, p99 {pct(measured, 0.99) * 1000:.1f} ms, "
          f"max {max(measured) * 1000:.1f} ms")
    n = max(len(lat), 1)
    print("CPU per request: " + ", ".join(f"{k} {v * 1000 / n:.1f} ms" for k, v in out["cpu"].items())
          + f" (over {n:,} requests; 2 cores = 2000 ms of CPU per second)")
    print(f"database: {needs:,} open needs, {tracks:,} tracks; machine load average {load[0]:.2f} {load[1]:.2f}")
    if args.timeline:
        by_second: dict[int, list[float]] = {}
        for offset, lat_s, _ in lat:
            by_second.setdefault(int(offset), []).append(lat_s * 1000)
        for second, values in sorted(by_second.items()):
            print(f"  second {second:3d}: {len(values):4d} started, p50 {statistics.median(values):7.1f} ms, "
                  f"p99 {pct(values, 0.99):7.1f} ms, max {max(values):7.1f} ms")
    passed = not window_errors and pct(measured, 0.99) <= 0.100 and achieved >= 200 * 0.98
    print("target over the measured window (≥ 200/s, p99 ≤ 100 ms, zero errors):", "PASS" if passed else "FAIL")


if __name__ == "__main__":
    sys.exit(main())
