"""The audit trail, copied off the server as it is written (AUDIT_SINK).

Someone with write access to the database could rewrite the chain from any entry on and
re-hash it; a copy the database cannot reach keeps the evidence. The shipper is an
outbox: `audit_shipments` keeps, per sink, the last seq written there. A background task
(api/app.py) reads the entries after it, in seq order, writes them to the sink as JSON
lines (the NDJSON export format, `hash` and `prev_hash` included, so
`tools/verify_export.py` verifies the copy offline), then moves the cursor, all in one
transaction holding the cursor row's lock (several API processes ship one after another,
never twice at once).

Requests never wait for it and never fail because of it: they only write the audit row.
A sink that is down leaves the cursor where it was; the task retries with a growing
pause and catches up from there, in order. Delivery is at least once: a crash between the
sink's write and the cursor's commit sends those entries again (same seq, same hash), which
the verifier recognises as a replay.

Writers take the audit chain's lock until they commit, so entries become visible in seq
order: the shipper never skips an entry that commits later with a lower seq.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.audit.model import AuditExportFormat, export_line
from persistence.audit.repository import _to_entity
from persistence.audit.tables import AuditRow, AuditShipmentRow

logger = logging.getLogger("duangta.audit_sink")

_CURSORS = AuditShipmentRow.__table__  # type: ignore[attr-defined]
#: syslog facility local0, severity informational.
_SYSLOG_PRI = 16 * 8 + 6


class AuditSink(Protocol):
    """Where copies go. `write` raises when the lines did not get there."""

    async def write(self, lines: list[str]) -> None: ...

    async def close(self) -> None: ...


class FileSink:
    """Appends to a file (on another disk or a mount the database server cannot reach),
    flushed and fsynced before the cursor moves."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _append(self, data: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())

    async def write(self, lines: list[str]) -> None:
        await asyncio.to_thread(self._append, "".join(lines))

    async def close(self) -> None:
        return None


class SyslogSink:
    """RFC 5424 messages, one per entry: `syslog://host:514` (UDP) or `syslog+tcp://host:514`
    (TCP, octet-counted framing of RFC 6587, which keeps lines whole)."""

    def __init__(self, host: str, port: int, *, tcp: bool) -> None:
        self.host, self.port, self.tcp = host, port, tcp
        self._hostname = socket.gethostname()

    def _message(self, line: str) -> bytes:
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        head = f"<{_SYSLOG_PRI}>1 {stamp} {self._hostname} duangta - audit - "
        return (head + line.rstrip("\n")).encode("utf-8")

    def _send(self, lines: list[str]) -> None:
        messages = [self._message(line) for line in lines]
        if self.tcp:
            with socket.create_connection((self.host, self.port), timeout=10) as connection:
                connection.sendall(b"".join(b"%d %s" % (len(m), m) for m in messages))
            return
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for message in messages:
                udp.sendto(message, (self.host, self.port))

    async def write(self, lines: list[str]) -> None:
        await asyncio.to_thread(self._send, lines)

    async def close(self) -> None:
        return None


class HttpSink:
    """POSTs each batch as `application/x-ndjson` to a collector; any answer but 2xx is a
    failure (retried). Credentials may go in the URL (basic auth)."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)
        self.url = url

    async def write(self, lines: list[str]) -> None:
        response = await self._client.post(
            self.url,
            content="".join(lines).encode("utf-8"),
            headers={"Content-Type": "application/x-ndjson"},
        )
        response.raise_for_status()

    async def close(self) -> None:
        await self._client.aclose()


def open_sink(url: str) -> AuditSink:
    """The sink an AUDIT_SINK URL names; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.path.startswith("/") and not parts.netloc:
        return FileSink(Path(parts.path))
    if parts.scheme in {"syslog", "syslog+tcp"} and parts.hostname:
        return SyslogSink(parts.hostname, parts.port or 514, tcp=parts.scheme == "syslog+tcp")
    if parts.scheme in {"https", "http"} and parts.hostname:
        return HttpSink(url)
    raise ValueError(
        "AUDIT_SINK is file:///absolute/path, syslog://host:port, syslog+tcp://host:port "
        "or https://collector/..."
    )


def sink_id(url: str) -> str:
    """The sink's key in audit_shipments: a hash, as the URL may hold credentials."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class AuditShipper:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sink: AuditSink,
        sink_id: str,
        *,
        batch_size: int = 500,
    ) -> None:
        self._sessions = sessions
        self._sink = sink
        self._sink_id = sink_id
        self._batch_size = batch_size

    async def _ship_batch(self) -> int:
        async with self._sessions() as session, session.begin():
            connection = await session.connection()
            await connection.execute(
                insert(_CURSORS)
                .values(sink_id=self._sink_id, shipped_seq=0)
                .on_conflict_do_nothing(index_elements=["sink_id"])
            )
            shipped: int = (
                await connection.execute(
                    select(_CURSORS.c.shipped_seq)
                    .where(_CURSORS.c.sink_id == self._sink_id)
                    .with_for_update()
                )
            ).scalar_one()
            table = AuditRow.__table__  # type: ignore[attr-defined]
            rows = await connection.execute(
                select(table)
                .where(table.c.seq > shipped)
                .order_by(table.c.seq)
                .limit(self._batch_size)
            )
            entries = [_to_entity(row) for row in rows]
            if not entries:
                return 0
            await self._sink.write([export_line(e, AuditExportFormat.NDJSON) for e in entries])
            await connection.execute(
                update(_CURSORS)
                .where(_CURSORS.c.sink_id == self._sink_id)
                .values(shipped_seq=entries[-1].seq, shipped_at=datetime.now(UTC))
            )
        return len(entries)

    async def ship_pending(self) -> int:
        """Ship everything committed so far, batch by batch; return how many entries.
        Raises when the sink or the database fails (the cursor stays where it was)."""
        total = 0
        while shipped := await self._ship_batch():
            total += shipped
            if shipped < self._batch_size:
                break
        return total

    async def run(self, *, interval: float, max_pause: float = 60.0) -> None:
        """Ship every `interval` seconds until cancelled; on failure, pause longer each
        time (up to `max_pause`) and retry from the cursor. Logs no entry content."""
        pause = interval
        while True:
            try:
                await self.ship_pending()
                pause = interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                pause = min(max(pause, interval) * 2, max_pause)
                logger.warning(
                    "audit sink unavailable (%s); retrying in %.0f s",
                    type(exc).__name__,
                    pause,
                )
            await asyncio.sleep(pause)

    async def close(self) -> None:
        await self._sink.close()
