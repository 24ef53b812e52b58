"""Benchmark: GET /api/v1/provinces/{code}, Duangta vs a bare Starlette + asyncpg server.

Reports numbers only (no assertions). Both servers run as separate uvicorn processes on
loopback against the same PostgreSQL; a small keep-alive HTTP/1.1 client drives them with
a fixed number of connections for a fixed time.

    .venv/bin/python bench/hot_read.py [--seconds 10] [--connections 16]

DATABASE_URL defaults to a `duangta_bench` database on the machine's PostgreSQL
(127.0.0.1:5432), created and migrated if missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/duangta_bench"
CODES = ["10", "40", "TH-38", "96", "50"]


async def ensure_database(url: str) -> None:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, name = dsn.rpartition("/")
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


async def worker(port: int, stop_at: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.monotonic() < stop_at:
            code = CODES[i % len(CODES)]
            i += 1
            request = f"GET /api/v1/provinces/{code} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b" 200 " not in status_line:
                errors.append(1)
    finally:
        writer.close()


async def load(port: int, seconds: float, connections: int) -> dict[str, float]:
    warm: list[float] = []
    await asyncio.gather(*(worker(port, time.monotonic() + 1, warm, []) for _ in range(4)))
    latencies: list[float] = []
    errors: list[int] = []
    started = time.monotonic()
    await asyncio.gather(
        *(worker(port, started + seconds, latencies, errors) for _ in range(connections))
    )
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    await ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    py = sys.executable
    servers = {
        "duangta": (8101, [py, "-m", "api", "--port", "8101"]),
        "raw asyncpg+starlette": (
            8102,
            [
                py,
                "-m",
                "uvicorn",
                "bench.raw_server:app",
                "--port",
                "8102",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
        ),
    }
    results = {}
    for name, (port, cmd) in servers.items():
        proc = start(cmd, env)
        try:
            await wait_ready(port)
            results[name] = await load(port, args.seconds, args.connections)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(
        f"GET /api/v1/provinces/{{code}}, {args.connections} connections, {args.seconds:.0f} s each"
    )
    print(f"{'server':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:24} {r['rps']:9.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:7.0f}")


if __name__ == "__main__":
    asyncio.run(main())
