"""A small keep-alive HTTP/1.1 client over asyncio streams (the parity check and the
open-loop latency test), for responses with a Content-Length."""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
import time
import uuid
from dataclasses import dataclass

from bench.scenarios import KEY


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> Reply:
        self.writer.write(raw)
        status_line = await self.reader.readline()
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return Reply(int(status_line.split()[1]), headers, body)

    def close(self) -> None:
        self.writer.close()


def unique(raw: bytes, prefix: str) -> bytes:
    return raw.replace(KEY.encode(), f"{prefix}-{uuid.uuid4().hex}".encode())


async def one(port: int, raw: bytes) -> Reply:
    connection = await Connection.open(port)
    try:
        return await connection.send(unique(raw, "bench-parity"))
    finally:
        connection.close()


#: The most connections the open-loop client keeps (well under the usual 1,024 descriptors).
OPEN_LOOP_CONNECTIONS = 256


@dataclass(frozen=True, slots=True)
class OpenLoopResult:
    rate: float
    sent: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    achieved: float


async def open_loop(
    port: int, requests: list[bytes], *, rate: float, seconds: float, expect: int
) -> OpenLoopResult:
    """Send at a fixed rate whatever the server's pace (an open loop: no coordinated
    omission); each latency counts from the moment the request was due, so queueing in
    the client while the server lags is counted too."""
    rng = random.Random(3)  # noqa: S311 - load generation
    idle: list[Connection] = []
    latencies: list[float] = []
    errors = 0
    tasks: set[asyncio.Task[None]] = set()
    # At most this many connections: when the server (or this client) lags, requests wait
    # here for one, their latency still counted from when they were due. Unbounded, a lag
    # at 11,000 requests/s opened connections until this process ran out of descriptors
    # (84,676 requests "failed" in the client, the API's RSS grew by 80 MiB of sockets).
    slots = asyncio.Semaphore(OPEN_LOOP_CONNECTIONS)

    async def fire(due: float, raw: bytes) -> None:
        async with slots:
            await _fire(due, raw)

    async def _fire(due: float, raw: bytes) -> None:
        nonlocal errors
        reused = bool(idle)
        try:
            connection = idle.pop() if idle else await Connection.open(port)
        except OSError:
            errors += 1
            return
        try:
            reply = await connection.send(raw)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            connection.close()
            if not reused:
                errors += 1
                return
            # The server closes keep-alive connections idle for 5 s: once more, afresh.
            try:
                connection = await Connection.open(port)
                reply = await connection.send(raw)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors += 1
                connection.close()
                return
        latencies.append(time.perf_counter() - due)
        if reply.status != expect:
            errors += 1
        idle.append(connection)

    start = time.perf_counter()
    count = int(rate * seconds)
    for i in itertools.count():
        if i >= count:
            break
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(fire(due, unique(rng.choice(requests), "bench-open")))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=30)
        for task in list(tasks):  # nothing may linger into the next measurement
            task.cancel()
    elapsed = time.perf_counter() - start
    for connection in idle:
        connection.close()
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    return OpenLoopResult(
        rate=rate,
        sent=count,
        errors=errors + (count - len(latencies)),
        p50_ms=statistics.median(ordered) * 1000,
        p90_ms=pct(0.90),
        p99_ms=pct(0.99),
        max_ms=ordered[-1] * 1000,
        achieved=len(latencies) / elapsed if elapsed else 0.0,
    )
