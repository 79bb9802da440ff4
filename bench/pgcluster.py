"""A private PostgreSQL (fsync ON) that a test or benchmark owns and may crash, and the app under uvicorn against it.

Same recipe as scripts/pg.sh (PostgreSQL refuses root, so as root the cluster belongs to the `postgres` user), but with
durability settings left at PostgreSQL's defaults (fsync, synchronous_commit, full_page_writes all on) and a
kill -9 / restart on the same port, for the no-loss test (X6) and honest benchmark numbers.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pg_bin() -> Path | None:
    """The directory of initdb/pg_ctl (Debian's versioned layout first), or None if PostgreSQL is not installed."""
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(f"{d}/initdb", os.X_OK):
            return Path(d)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_pg(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Cluster:
    """initdb in a fresh temporary directory; start, crash (kill -9), restart on the same port, destroy."""

    def __init__(self, *, max_connections: int = 200, settings: dict[str, str] | None = None):
        bindir = pg_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found (scripts/pg.sh installs them)")
        self.bin = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="shoudai-own-pg."))
        self.data = self.dir / "data"
        self.port = free_port()
        self.settings = {"listen_addresses": "127.0.0.1", "max_connections": str(max_connections),
                         "fsync": "on", "synchronous_commit": "on", "full_page_writes": "on", **(settings or {})}
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        os.chmod(self.dir, 0o700)
        with open(self.dir / "initdb.log", "w") as log:
            for locale in ("C.UTF-8", "C"):
                r = subprocess.run(_as_pg([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A",
                                           "trust", "-E", "UTF8", f"--locale={locale}"]),
                                   check=False, stdout=log, stderr=log)
                if r.returncode == 0:
                    break
                shutil.rmtree(self.data, ignore_errors=True)
            else:
                raise RuntimeError(f"initdb failed, see {self.dir / 'initdb.log'}")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} " + " ".join(f"-c {k}={v}" for k, v in self.settings.items())
        r = subprocess.run(_as_pg([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
                                   "-w", "-t", "60", "-o", opts, "start"]), check=False, capture_output=True, text=True)
        if r.returncode != 0:
            tail = (self.dir / "server.log").read_text(errors="replace")[-1500:]
            raise RuntimeError(f"pg_ctl start failed: {r.stdout}{r.stderr}\n{tail}")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def crash(self) -> None:
        """kill -9 the postmaster, then its orphaned backends (as a machine crash would), and wait until all are gone."""
        pid = self.postmaster_pid()
        children = _children(pid)
        os.kill(pid, signal.SIGKILL)
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in [pid, *children]) and time.monotonic() < deadline:
            time.sleep(0.05)
        # Whoever adopted the dead postmaster may not have reaped it yet; a zombie still "exists" for kill(pid, 0),
        # so PostgreSQL would refuse to start over its lock files. Every process is gone: the lock files are stale.
        for stale in (self.data / "postmaster.pid", self.dir / f".s.PGSQL.{self.port}.lock",
                      self.dir / f".s.PGSQL.{self.port}"):
            stale.unlink(missing_ok=True)

    def stop(self) -> None:
        """Stop the server (if running) and delete its files."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run(_as_pg([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                           check=False, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def _children(pid: int) -> list[int]:
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.split("/")[2]))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def serve_app(url: str, *, port: int, workers: int = 1, data_dir: str, log_path: str | Path,
              extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """uvicorn serving shoudai.web.app:create_app against `url`; trusts X-Forwarded-For from loopback (the proxy
    a deployment puts in front), so each simulated client has its own address for the per-address limits."""
    env = {**os.environ, "SHOUDAI_DATABASE_URL": url, "SHOUDAI_DATA_DIR": data_dir, **(extra_env or {})}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "shoudai.web.app:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
           "--no-access-log", "--log-level", "warning", "--timeout-keep-alive", "60"]
    with open(log_path, "w") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}: see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if b" 200 " in s.recv(100):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"uvicorn did not become ready: see {log_path}")


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of a process and all its descendants alive now (for per-request cost)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(stat.split("/")[2])] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    keep, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in stats.items():
            if ppid == parent and pid not in keep:
                keep.add(pid)
                frontier.append(pid)
    return sum(stats[p][1] for p in keep if p in stats) / ticks
