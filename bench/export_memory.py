"""Memory of the API process while it streams a large audit-log export (a report, not a test).

    .venv/bin/python -m bench.export_memory [--rows 100000] [--url postgresql+asyncpg://...]

Recreates its own database (default `duangta_audit_mem` on 127.0.0.1:5432), migrates it,
inserts an auditor account and a valid chain of `--rows` entries (hashes computed here,
loaded with COPY), starts the API as a separate process (`python -m api`), mints an
auditor token with the same settings, streams `GET /api/v1/audit-log/export` over HTTP
(NDJSON, then CSV) and samples the server's RSS with psutil before, during and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]  # no stubs in the lock; a bench only
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.settings import Settings
from auth.tokens import issue_access_token
from domain.accounts.model import Account
from domain.audit.model import CANONICAL_FIELDS, GENESIS_HASH, AuditEntry
from domain.clock import SystemClock
from domain.policy import Role
from persistence.db import create_engine, create_session_factory
from persistence.migrate import upgrade_to_head
from persistence.uow import SqlUnitOfWork

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/duangta_audit_mem"
MiB = 1024 * 1024


async def recreate_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    admin = create_async_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def prepare(url: str, rows: int) -> Account:
    await recreate_database(url)
    engine = create_engine(url, pool_size=1)
    try:
        await upgrade_to_head(engine)
        async with SqlUnitOfWork(create_session_factory(engine), clock=SystemClock()) as uow:
            auditor = Account.new(
                username="bench-auditor",
                display_name="Bench auditor",
                role=Role.AUDITOR,
                password_hash=None,
                now=datetime.now(UTC),
            )
            await uow.accounts.add(auditor)
            await uow.commit()
        started = time.perf_counter()
        records, prev = [], GENESIS_HASH
        start = datetime.now(UTC) - timedelta(days=30)
        for seq in range(1, rows + 1):
            entry = AuditEntry(
                seq=seq,
                occurred_at=start + timedelta(milliseconds=seq * 10),
                actor_id=f"acct-{seq % 997}",
                actor_role="provincial_officer",
                action=("tip.viewed", "tip.created", "auth.login_succeeded")[seq % 3],
                entity_type="tip",
                entity_id=f"tip-{seq % 50_000}",
                province_code="40",
                request_id=f"req-{seq:012d}",
                details={"status": "received", "count": seq % 10, "จังหวัด": "ขอนแก่น"},
                prev_hash=prev,
            )
            prev = entry.computed_hash()
            values: list[Any] = [getattr(entry, name) for name in CANONICAL_FIELDS]
            values[CANONICAL_FIELDS.index("details")] = json.dumps(entry.details)
            records.append((*values, prev))
        async with engine.begin() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection  # asyncpg
            await driver.copy_records_to_table(
                "audit_log", records=records, columns=[*CANONICAL_FIELDS, "hash"]
            )
        print(f"inserted {rows} chained entries in {time.perf_counter() - started:.1f} s")
        return auditor
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Sampler(threading.Thread):
    """Samples a process's RSS every few milliseconds; keeps only the peak and the last."""

    def __init__(self, process: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.process = process
        self.peak = 0
        self.samples = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            rss = self.process.memory_info().rss
            self.peak = max(self.peak, rss)
            self.samples += 1
            time.sleep(0.005)


def rss(process: psutil.Process) -> float:
    return float(process.memory_info().rss) / MiB


def stream_export(
    client: httpx.Client, process: psutil.Process, fmt: str, headers: dict[str, str]
) -> None:
    before = rss(process)
    sampler = Sampler(process)
    sampler.start()
    started = time.perf_counter()
    size = lines = 0
    with client.stream(
        "GET", "/api/v1/audit-log/export", params={"format": fmt}, headers=headers
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
            lines += chunk.count(b"\n")
    took = time.perf_counter() - started
    sampler.running = False
    sampler.join()
    after = rss(process)
    print(
        f"{fmt:6} {lines:>8} lines {size / MiB:8.1f} MiB in {took:5.1f} s | server RSS "
        f"before {before:6.1f} MiB, peak during {sampler.peak / MiB:6.1f} MiB "
        f"(+{sampler.peak / MiB - before:.1f}), after {after:6.1f} MiB "
        f"[{sampler.samples} samples]"
    )


def verify_chain(client: httpx.Client, process: psutil.Process, headers: dict[str, str]) -> None:
    before = rss(process)
    sampler = Sampler(process)
    sampler.start()
    started = time.perf_counter()
    result = client.get("/api/v1/audit-log/verify", headers=headers).json()
    took = time.perf_counter() - started
    sampler.running = False
    sampler.join()
    print(
        f"verify {result['checked']:>8} entries valid={result['valid']} in {took:5.1f} s | "
        f"server RSS before {before:6.1f} MiB, peak during {sampler.peak / MiB:6.1f} MiB"
    )


def abandon_export(client: httpx.Client, url: str, headers: dict[str, str]) -> None:
    """A client that goes away mid-stream must not leave a connection in a transaction."""
    with client.stream("GET", "/api/v1/audit-log/export", headers=headers) as response:
        for _ in response.iter_bytes():
            break
    time.sleep(1)

    async def idle_in_transaction() -> int:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                count = await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND application_name = 'duangta' AND state <> 'idle'"
                    )
                )
                return int(count or 0)
        finally:
            await engine.dispose()

    print(
        f"after a client hung up mid-export: {asyncio.run(idle_in_transaction())} busy connections"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    auditor = asyncio.run(prepare(args.url, args.rows))
    settings = Settings(_env_file=None, database_url=args.url)
    token = issue_access_token(
        settings.token_config(), auditor.principal(), now=datetime.now(UTC)
    ).token
    headers = {"Authorization": f"Bearer {token}"}

    port = free_port()
    env = {**os.environ, "DATABASE_URL": args.url, "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port)], env=env)
    try:
        process = psutil.Process(server.pid)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for _ in range(200):
                try:
                    if client.get("/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            else:
                raise SystemExit("the API did not become ready")
            warm = client.get("/api/v1/audit-log", params={"limit": 200}, headers=headers)
            warm.raise_for_status()
            print(f"API pid {server.pid}, idle RSS after one query {rss(process):.1f} MiB")
            for fmt in ("ndjson", "csv", "ndjson"):
                stream_export(client, process, fmt, headers)
            verify_chain(client, process, headers)
            abandon_export(client, args.url, headers)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
