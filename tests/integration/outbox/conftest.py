"""A real local HTTP server (127.0.0.1, ephemeral port) standing in for a bank's webhook or an SMS provider."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class FakeServer:
    """Answers `fail_first` requests with `fail_status`, then `ok_status` with `ok_body`; records every request."""

    url: str = ""
    fail_first: int = 0
    fail_status: int = 503
    ok_status: int = 200
    ok_body: bytes = b'{"ok": true, "message_id": "m-1"}'
    delay: float = 0.0
    requests: list[dict] = field(default_factory=list)

    def json_bodies(self) -> list:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    state = FakeServer()
    gate = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if state.delay:
                gate.wait(state.delay)
            failing = len(state.requests) <= state.fail_first
            status = state.fail_status if failing else state.ok_status
            payload = b'{"error": "down"}' if failing else state.ok_body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    gate.set()
    server.shutdown()
    server.server_close()
