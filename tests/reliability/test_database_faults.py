"""PostgreSQL stopped and restarted under anonymous intake, with clients that retry.

A throwaway server (tests/reliability/pgserver.py) serves an app built as in production;
clients submit tips, each with its own Idempotency-Key, and retry the same request on a
503 or a connection error until they get a 201. Mid-run the server is stopped (`fast`,
then `immediate`: a crash) and started again. Afterwards:

- every tip acknowledged with a 201 exists, exactly once, and nothing else was stored
  (retries replayed, never duplicated);
- every request during the outage got a 503 `service-unavailable` problem with
  `Retry-After`, within the client's timeout (no 500, no hang);
- `/health/ready` answered 503 during the outage and 200 after it, on its own;
- the same app (its pool) served again, without a restart; the audit chain verifies.

`make faults` runs a longer variant against a real server process (`python -m api`,
uvicorn) instead of the app in process: FAULT_SERVER=uvicorn, FAULT_TIPS_PER_CLIENT,
FAULT_CLIENTS, FAULT_OUTAGE_SECONDS, FAULT_BACKOFF_SECONDS.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.app import create_app
from api.services import services_of
from api.settings import Environment, Settings
from domain.audit.use_cases import verify_audit_chain
from domain.clock import SystemClock
from domain.policy import Principal, Role
from persistence.db import create_engine, create_session_factory
from persistence.migrate import upgrade_to_head
from persistence.uow import SqlUnitOfWork
from tests.conftest import assert_problem
from tests.reliability.pgserver import ThrowawayPostgres, free_port
from tests.tips.helpers import tip_body

ROOT = Path(__file__).resolve().parents[2]
TIPS_PER_CLIENT = int(os.environ.get("FAULT_TIPS_PER_CLIENT", "12"))
#: The whole run of one client, outages included, must end within this (a bound, not a
#: timing assertion: it turns a service that never recovers into a failure, not a hang).
RECOVERY_DEADLINE_SECONDS = float(os.environ.get("FAULT_DEADLINE_SECONDS", "300"))
CLIENTS = int(os.environ.get("FAULT_CLIENTS", "4"))
#: 0: an outage ends as soon as every client has been refused twice and the probe once.
OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "0"))
#: A request answered later than this counts as a hang (the server's bounds are 2 s).
CLIENT_TIMEOUT = 15.0
#: The longer variant's clients back off like real ones between retries.
BACKOFF_SECONDS = float(os.environ.get("FAULT_BACKOFF_SECONDS", "0"))


@dataclass
class Tally:
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> id, ref
    unavailable: int = 0
    transport_errors: int = 0
    replays: int = 0
    slowest_503_ms: float = 0.0
    unexpected: list[str] = field(default_factory=list)
    refused_since: dict[int, int] = field(default_factory=dict)  # client -> 503s


async def until(condition: Callable[[], Any], deadline: float, what: str) -> None:
    """Poll a condition (async or not) until it holds, or fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def submit_all(client_no: int, http: httpx.AsyncClient, tally: Tally) -> None:
    """One client: TIPS_PER_CLIENT tips, each retried with its key until acknowledged."""
    give_up = time.monotonic() + RECOVERY_DEADLINE_SECONDS
    for _ in range(TIPS_PER_CLIENT):
        key = str(uuid.uuid4())
        body = tip_body(description=f"ทดสอบฐานข้อมูลล่ม client {client_no} key {key}")
        while True:
            if time.monotonic() > give_up:  # a service that never recovers fails, not hangs
                tally.unexpected.append("no tip acknowledged before the recovery deadline")
                return
            started = time.perf_counter()
            try:
                response = await http.post(
                    "/api/v1/tips", json=body, headers={"Idempotency-Key": key}
                )
            except httpx.TimeoutException:
                tally.unexpected.append("a request hung past the client's timeout")
                return
            except httpx.TransportError:
                tally.transport_errors += 1
                continue
            elapsed_ms = (time.perf_counter() - started) * 1000
            if response.status_code == 201:
                created = response.json()
                if key in tally.acknowledged:  # pragma: no cover - never expected
                    tally.unexpected.append("a key acknowledged twice")
                tally.acknowledged[key] = (created["id"], created["reference"])
                if response.headers.get("idempotent-replayed") == "true":
                    tally.replays += 1
                break
            if response.status_code == 503:
                assert_problem(response, 503, "service-unavailable")
                assert int(response.headers["retry-after"]) >= 1
                tally.unavailable += 1
                tally.slowest_503_ms = max(tally.slowest_503_ms, elapsed_ms)
                tally.refused_since[client_no] = tally.refused_since.get(client_no, 0) + 1
                if BACKOFF_SECONDS:
                    await asyncio.sleep(BACKOFF_SECONDS)  # the client's retry policy
                continue
            tally.unexpected.append(f"{response.status_code}: {response.text[:200]}")
            return


@dataclass
class Target:
    """The server under test: the throwaway PostgreSQL and an API serving from it."""

    pg: ThrowawayPostgres
    http: httpx.AsyncClient
    #: Whether the API still runs on the pool (in process) or process (uvicorn) it
    #: started with: it recovered without a restart.
    same_api: Callable[[], bool]


SETTINGS = {
    "database_pool_size": "4",
    "database_pool_timeout_seconds": "2",
    "database_connect_timeout_seconds": "2",
    "database_statement_timeout_ms": "5000",
    "tip_submit_anonymous_rate": "100000/minute",
}


@asynccontextmanager
async def in_process(pg: ThrowawayPostgres) -> AsyncIterator[Target]:
    engine = create_engine(pg.url, pool_size=1)
    await upgrade_to_head(engine)
    await engine.dispose()
    settings = Settings(
        _env_file=None,
        environment=Environment.TEST,
        database_url=pg.url,
        **SETTINGS,  # type: ignore[arg-type]
    )
    app = create_app(settings, clock=SystemClock())
    async with app.router.lifespan_context(app):
        pool = services_of(app).database.require_engine()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", timeout=CLIENT_TIMEOUT
        ) as http:
            yield Target(pg, http, lambda: services_of(app).database.engine is pool)


@asynccontextmanager
async def uvicorn_server(pg: ThrowawayPostgres) -> AsyncIterator[Target]:
    """`python -m api` (uvicorn, migrations at start) on a port of its own."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update({name.upper(): value for name, value in SETTINGS.items()})
    env.update(
        DATABASE_URL=pg.url,
        LOG_LEVEL="WARNING",
        BOOTSTRAP_ADMIN_USERNAME="admin",
        BOOTSTRAP_ADMIN_PASSWORD="faults test password",
    )
    server = subprocess.Popen(  # noqa: S603, ASYNC220
        [sys.executable, "-m", "api", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=CLIENT_TIMEOUT
        ) as http:

            async def up() -> bool:
                assert server.poll() is None, "the API exited"
                try:
                    return (await http.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await until(up, 120, "the API to start")
            yield Target(pg, http, lambda: server.poll() is None)
    finally:
        server.terminate()
        await asyncio.to_thread(server.wait, 60)


@pytest.fixture
async def target() -> AsyncIterator[Target]:
    """FAULT_SERVER=uvicorn: a real server process; otherwise the app in process."""
    pg = await asyncio.to_thread(ThrowawayPostgres().__enter__)
    try:
        serve = uvicorn_server if os.environ.get("FAULT_SERVER") == "uvicorn" else in_process
        async with serve(pg) as served:
            yield served
    finally:
        await asyncio.to_thread(pg.__exit__, None, None, None)


async def test_acknowledged_tips_survive_database_restarts_exactly_once(
    target: Target,
) -> None:
    pg, http = target.pg, target.http
    tally = Tally()
    assert (await http.get("/health/ready")).status_code == 200
    clients = [asyncio.create_task(submit_all(n, http, tally)) for n in range(CLIENTS)]
    outages: list[float] = []
    ready_503 = 0
    total = CLIENTS * TIPS_PER_CLIENT

    def acknowledged(threshold: int) -> Callable[[], bool]:
        return lambda: len(tally.acknowledged) >= threshold or bool(tally.unexpected)

    def each_client_refused_twice() -> bool:
        working = [n for n, task in enumerate(clients) if not task.done()]
        refused = all(tally.refused_since.get(n, 0) >= 2 for n in working)
        return refused or bool(tally.unexpected)

    async def ready() -> bool:
        return (await http.get("/health/ready")).status_code == 200

    for number, mode in enumerate(("fast", "immediate"), start=1):
        await until(acknowledged(total * number // 3), 120, "tips before the outage")
        tally.refused_since.clear()
        stopped = time.monotonic()
        await asyncio.to_thread(pg.stop, mode)
        probe = await http.get("/health/ready")
        assert_problem(probe, 503, "service-unavailable")
        assert "retry-after" in probe.headers
        ready_503 += 1
        if OUTAGE_SECONDS:  # the long variant holds the server down
            await asyncio.sleep(max(0.0, stopped + OUTAGE_SECONDS - time.monotonic()))
        await until(each_client_refused_twice, 60, "every client refused in the outage")
        await asyncio.to_thread(pg.start)
        outages.append(time.monotonic() - stopped)
        await until(ready, 30, "/health/ready to recover by itself")
    await asyncio.wait_for(asyncio.gather(*clients), timeout=300)

    assert tally.unexpected == []
    assert len(tally.acknowledged) == total
    ids = [tip_id for tip_id, _ in tally.acknowledged.values()]
    references = [reference for _, reference in tally.acknowledged.values()]
    assert len(set(ids)) == total
    assert len(set(references)) == total

    assert target.same_api()  # recovered on its own: the same pool, the same process
    engine = create_engine(pg.url, pool_size=1)
    try:
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT id::text, reference FROM tips"))).all()
        async with SqlUnitOfWork(create_session_factory(engine), clock=SystemClock()) as uow:
            auditor = Principal(account_id=uuid.uuid4(), role=Role.AUDITOR)
            verification = await verify_audit_chain(uow, actor=auditor)
    finally:
        await engine.dispose()
    assert sorted(stored) == sorted(zip(ids, references, strict=True))  # each exactly once
    assert verification.valid, verification

    figures = {
        "server": os.environ.get("FAULT_SERVER", "in-process"),
        "clients": CLIENTS,
        "tips_acknowledged": len(tally.acknowledged),
        "tips_found": len(stored),
        "answers_503": tally.unavailable,
        "probe_503": ready_503,
        "transport_errors": tally.transport_errors,
        "replayed_201": tally.replays,
        "outages_s": [round(o, 2) for o in outages],
        "slowest_503_ms": round(tally.slowest_503_ms, 1),
        "audit_entries_verified": verification.checked,
    }
    print("database faults:", json.dumps(figures))
