"""The off-server copy of the audit trail (AUDIT_SINK): every entry reaches the sink, in
chain order, with its hashes, so the copy verifies offline with tools/verify_export.py;
a sink that is down never fails a request, and the copy catches up, in order, after it."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.services import services_of
from api.settings import Settings
from domain.clock import FrozenClock
from domain.policy import Role
from persistence.audit.shipping import (
    AuditShipper,
    FileSink,
    HttpSink,
    SyslogSink,
    open_sink,
    sink_id,
)
from tests.conftest import CreateAccount, LoginAs
from tests.conftest import test_settings as base_settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


async def chain(db: AsyncEngine) -> list[tuple[int, str]]:
    async with db.connect() as conn:
        rows = await conn.execute(text("SELECT seq, hash FROM audit_log ORDER BY seq"))
        return [(int(seq), str(digest)) for seq, digest in rows]


def shipped(path: Path) -> list[tuple[int, str]]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [(entry["seq"], entry["hash"]) for entry in map(json.loads, lines)]


def verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(ROOT / "tools" / "verify_export.py"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


async def activity(client: httpx.AsyncClient, create_account: CreateAccount, n: int) -> None:
    """Audited work: sign-ins, failed sign-ins, an account."""
    await create_account(f"officer{n}", PASSWORD, Role.CENTRAL_OFFICER)
    for password in (PASSWORD, "wrong password!", PASSWORD):
        await client.post(
            "/api/v1/auth/token", data={"username": f"officer{n}", "password": password}
        )


class FlakySink:
    """A file sink that is down while `down` is set."""

    def __init__(self, path: Path) -> None:
        self.file = FileSink(path)
        self.down = False

    async def write(self, lines: list[str]) -> None:
        if self.down:
            raise ConnectionError("collector unreachable")
        await self.file.write(lines)

    async def close(self) -> None:
        return None


async def test_a_file_sink_receives_every_entry_in_order_and_verifies_offline(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncEngine,
    create_account: CreateAccount,
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.ndjson"
    sink = FlakySink(path)
    shipper = AuditShipper(
        services_of(app).database.sessions(), sink, sink_id("file:///x"), batch_size=4
    )
    await activity(client, create_account, 1)
    assert await shipper.ship_pending() == len(await chain(db))
    assert shipped(path) == await chain(db)

    # The sink goes down: requests go on unharmed, nothing ships, the cursor stays.
    sink.down = True
    await activity(client, create_account, 2)
    me = await client.post(
        "/api/v1/auth/token", data={"username": "officer2", "password": PASSWORD}
    )
    assert me.status_code == 200
    with pytest.raises(ConnectionError):
        await shipper.ship_pending()
    assert len(shipped(path)) < len(await chain(db))

    # Back up: the copy catches up from where it stopped, in order, nothing twice.
    sink.down = False
    await activity(client, create_account, 3)
    await shipper.ship_pending()
    assert shipped(path) == await chain(db)
    assert await shipper.ship_pending() == 0

    result = verify(path)
    assert result.returncode == 0, result.stdout
    assert f"{len(await chain(db))} entries" in result.stdout
    assert "0 gaps" in result.stdout


async def test_a_replayed_batch_still_verifies_and_a_tampered_copy_does_not(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: AsyncEngine,
    create_account: CreateAccount,
    tmp_path: Path,
) -> None:
    """At least once: after a crash between the sink's write and the cursor's commit the
    same entries come again (same seq, same hash): a replay, not a break."""
    path = tmp_path / "audit.ndjson"
    shipper = AuditShipper(
        services_of(app).database.sessions(), FileSink(path), sink_id("file:///y"), batch_size=3
    )
    await activity(client, create_account, 1)
    await shipper.ship_pending()
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines, *lines[-3:]]), encoding="utf-8")  # the last batch again
    result = verify(path)
    assert result.returncode == 0, result.stdout
    assert "3 replayed entries skipped" in result.stdout

    entry = json.loads(lines[1])
    entry["action"] = "auth.login_succeeded" if entry["action"] != "auth.login_succeeded" else "x"
    path.write_text("".join([lines[0], json.dumps(entry) + "\n", *lines[2:]]), encoding="utf-8")
    assert verify(path).returncode == 1


async def test_the_app_ships_in_the_background(
    db: AsyncEngine,
    database_url: str,
    clock: FrozenClock,
    login_as: LoginAs,
    tmp_path: Path,
) -> None:
    """AUDIT_SINK set: the app's own task copies what requests write, no call needed."""
    path = tmp_path / "sink" / "audit.ndjson"
    settings = Settings(
        **{
            **base_settings(database_url).model_dump(),
            "audit_sink": f"file://{path}",
            "audit_sink_interval_seconds": 0.05,
        }
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            admin = await login_as(Role.ADMIN)
            response = await client.get("/api/v1/users", headers=admin)
            assert response.status_code == 200
            for _ in range(3):
                await client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
            deadline = time.monotonic() + 10
            for _ in range(1000):  # polls a condition, with a deadline
                copied = shipped(path)
                if (copied and copied == await chain(db)) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.02)
            assert copied == await chain(db)  # shipped while the app runs
    assert shipped(path) == await chain(db)
    assert len(shipped(path)) == 3  # three failed sign-ins


def test_sink_urls() -> None:
    assert isinstance(open_sink("file:///var/log/duangta/audit.ndjson"), FileSink)
    syslog = open_sink("syslog://logs.example:1514")
    assert isinstance(syslog, SyslogSink)
    assert (syslog.host, syslog.port, syslog.tcp) == ("logs.example", 1514, False)
    tcp = open_sink("syslog+tcp://logs.example")
    assert isinstance(tcp, SyslogSink)
    assert (tcp.port, tcp.tcp) == (514, True)
    assert isinstance(open_sink("https://collector.example/ingest"), HttpSink)
    for bad in ("file://relative/path", "ftp://x", "audit.ndjson", "syslog://"):
        with pytest.raises(ValueError, match="AUDIT_SINK"):
            open_sink(bad)
    # The cursor is keyed by a hash: a URL's credentials never reach the database.
    assert "secret" not in sink_id("https://user:secret@collector.example/")
    with pytest.raises(ValueError, match="AUDIT_SINK"):
        Settings(_env_file=None, audit_sink="ftp://nope")


async def test_an_https_collector_gets_ndjson_batches_and_a_failure_raises() -> None:
    received: list[httpx.Request] = []
    status = 202

    def collector(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(status)

    sink = HttpSink("https://collector.example/ingest", transport=httpx.MockTransport(collector))
    await sink.write(['{"seq":1}\n', '{"seq":2}\n'])
    assert received[0].headers["content-type"] == "application/x-ndjson"
    assert received[0].content == b'{"seq":1}\n{"seq":2}\n'
    status = 503
    with pytest.raises(httpx.HTTPStatusError):
        await sink.write(['{"seq":3}\n'])
    await sink.close()


async def test_a_syslog_sink_sends_one_rfc5424_message_per_entry() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        sink = open_sink(f"syslog://127.0.0.1:{server.getsockname()[1]}")
        await sink.write(['{"seq":1,"hash":"ab"}\n', '{"seq":2,"hash":"cd"}\n'])
        messages = [server.recvfrom(65536)[0].decode() for _ in range(2)]
    assert all(m.startswith("<134>1 ") for m in messages)
    assert [m.split(" - audit - ", 1)[1] for m in messages] == [
        '{"seq":1,"hash":"ab"}',
        '{"seq":2,"hash":"cd"}',
    ]
