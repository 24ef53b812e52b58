"""A real HTTP receiver on loopback for the webhook tests (http.server in a thread), and a
helper that polls a condition until a deadline (no fixed sleeps)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.body)
        return payload


class Receiver:
    """Answers `status` to every POST and records it. `hold()` makes requests wait (after
    they are recorded as arriving) until `release()`; `stop()`/`start()` take it down and
    bring it back on the same port (connections refused in between)."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[Received] = []
        self.arrived: list[Received] = []
        self.concurrent_duplicates: list[str] = []
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        self._gate: threading.Event | None = None
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/duangta"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                item = Received(
                    {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
                )
                with receiver._lock:
                    receiver.arrived.append(item)
                    if item.headers.get("webhook-id") in receiver._in_flight:
                        receiver.concurrent_duplicates.append(item.webhook_id)
                    receiver._in_flight.add(item.headers.get("webhook-id", ""))
                    gate = receiver._gate
                try:
                    if gate is not None:
                        gate.wait(timeout=30)
                        self.close_connection = True
                        return  # held requests get no answer
                    with receiver._lock:
                        receiver.received.append(item)
                    self.send_response(receiver.status)
                    if 300 <= receiver.status < 400:
                        self.send_header("location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                    self.send_header("content-length", "0")
                    self.end_headers()
                finally:
                    with receiver._lock:
                        receiver._in_flight.discard(item.headers.get("webhook-id", ""))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def hold(self) -> None:
        self._gate = threading.Event()

    def release(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.set()

    def of_type(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.json()["type"] == kind]


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], *, within: float = 30.0, what: str = ""
) -> None:
    """Poll `condition` until it holds; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.02)
