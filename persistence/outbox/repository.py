"""The outbox: events written in the caller's transaction, with their pending deliveries,
and the changes feed read in commit order.

Commit order without gaps: every event row keeps its transaction's id (`xid`). The feed
orders by (xid, seq) and returns only events whose transaction id is below a horizon:
the oldest transaction of *this database* still running when the query's snapshot was
taken (else the snapshot's xmax). Every transaction below it has ended before the
snapshot, so its events are visible now and no event can appear below it later (new
transactions get higher ids): a cursor at (xid, seq) never skips one. A write
transaction of ours still open holds the feed back for as long as it runs (milliseconds)
instead of letting a reader pass an event that is about to commit.

Why not simply `pg_snapshot_xmin(pg_current_snapshot())`: that horizon is cluster-wide,
so a long transaction in another database of the same server (a bulk load, someone's
psql session) would stall the feed. The in-progress ids of the snapshot (`xip`) are kept
unless pg_stat_activity shows their backend in another database (a transaction never
changes database; one not found any more is kept, which is only conservative).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.outbox.model import EventType, OutboxEvent
from domain.pagination import CommitCursor
from domain.webhooks.ports import Change

#: The channel the delivery worker listens on (notified when deliveries are queued).
CHANNEL = "webhook_deliveries"

_INSERT_EVENT = text(
    "INSERT INTO outbox_events (id, type, agency_code, occurred_at, data) "
    "VALUES (:id, :type, :agency, :at, CAST(:data AS jsonb))"
)
_FAN_OUT = """
INSERT INTO webhook_deliveries
    (id, event_id, endpoint_id, state, attempt_count, next_attempt_at, queued_at, created_at)
SELECT gen_random_uuid(), :id, e.id, 'pending', 0, :at, :at, :at
FROM webhook_endpoints e
WHERE e.agency_code = :agency AND {which}
"""
_TO_SUBSCRIBERS = text(_FAN_OUT.format(which="e.enabled AND :type = ANY(e.event_types)"))
_TO_ONE = text(_FAN_OUT.format(which="e.id = :endpoint"))
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")
#: Pending deliveries to enabled endpoints (a disabled one's wait for it, not for us).
_BACKLOG = text(
    "SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
    "WHERE d.state = 'pending' AND e.enabled"
)
_CHANGES = text(
    """
WITH snapshot AS (SELECT pg_current_snapshot() AS s),
horizon AS (
    SELECT COALESCE(
        (SELECT min(running::text::bigint)
         FROM snapshot, pg_snapshot_xip(snapshot.s) AS running
         WHERE NOT EXISTS (
             SELECT 1 FROM pg_stat_activity a
             WHERE a.backend_xid = xid(running) AND a.datname <> current_database())),
        (SELECT pg_snapshot_xmax(s)::text::bigint FROM snapshot)
    ) AS xid
)
SELECT id, type, agency_code, occurred_at, data, e.xid, seq
FROM outbox_events e, horizon
WHERE agency_code = :agency AND type <> 'webhook.test'
  AND (e.xid, seq) > (:xid, :seq)
  AND e.xid < horizon.xid
ORDER BY e.xid, seq
LIMIT :limit
"""
)


def event_of(row: Any) -> OutboxEvent:
    return OutboxEvent(
        id=row.id,
        type=EventType(row.type),
        agency_code=row.agency_code,
        occurred_at=row.occurred_at,
        data=dict(row.data),
    )


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, event: OutboxEvent, *, only_endpoint: UUID | None = None) -> None:
        connection = await self._session.connection()
        params: dict[str, Any] = {
            "id": event.id,
            "type": event.type.value,
            "agency": event.agency_code,
            "at": event.occurred_at,
        }
        await connection.execute(_INSERT_EVENT, {**params, "data": json.dumps(event.data)})
        if only_endpoint is None:
            queued = await connection.execute(_TO_SUBSCRIBERS, params)
        else:
            queued = await connection.execute(_TO_ONE, {**params, "endpoint": only_endpoint})
        if queued.rowcount:
            await connection.execute(_NOTIFY)  # sent by PostgreSQL on commit, never before

    async def outbox_backlog(self) -> int:
        connection = await self._session.connection()
        return int((await connection.execute(_BACKLOG)).scalar_one())

    async def changes(
        self, agency_code: str, *, after: CommitCursor | None, limit: int
    ) -> list[Change]:
        position = after or CommitCursor(xid=0, seq=0)
        connection = await self._session.connection()
        rows = await connection.execute(
            _CHANGES,
            {"agency": agency_code, "xid": position.xid, "seq": position.seq, "limit": limit},
        )
        return [Change(event_of(row), CommitCursor(xid=row.xid, seq=row.seq)) for row in rows]
