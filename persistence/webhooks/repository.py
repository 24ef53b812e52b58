"""Webhook endpoints and their delivery log (rows <-> entities; never commits).

Signing secrets are sealed with the data keys (persistence/crypto.py): they must be read
back to sign, so they cannot be hashed; a copy of the table alone does not give them away.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, String, Uuid, bindparam, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.outbox.model import EventType, OutboxEvent
from domain.pagination import Cursor, PageRequest
from domain.webhooks.model import Attempt, Delivery, DeliveryState, Endpoint
from persistence.crypto import FieldSealer, KeyRing, SealedColumn
from persistence.outbox.repository import CHANNEL
from persistence.webhooks.tables import WebhookEndpointRow


def _aad(endpoint_id: UUID, field: str) -> str:
    return f"webhook_endpoint:{endpoint_id}:{field}"


#: The sealed columns, for key rotation (persistence/keys re-seals them).
SEALED = (
    SealedColumn("webhook_endpoints", "secret", lambda row: _aad(row.id, "secret")),
    SealedColumn(
        "webhook_endpoints", "previous_secret", lambda row: _aad(row.id, "previous_secret")
    ),
)


class EndpointSecrets:
    """Seals and opens the secrets of an endpoint row (shared with the delivery queue)."""

    def __init__(self, keyring: KeyRing) -> None:
        self._sealer = FieldSealer(keyring)

    def seal(self, endpoint_id: UUID, field: str, value: str | None) -> bytes | None:
        return self._sealer.seal(value, _aad(endpoint_id, field))

    def open(self, endpoint_id: UUID, field: str, value: bytes | None) -> str | None:
        return self._sealer.open(value, _aad(endpoint_id, field))


class SqlEndpointRepository:
    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self._session = session
        self._secrets = EndpointSecrets(keyring)

    def _entity(self, row: WebhookEndpointRow) -> Endpoint:
        secret = self._secrets.open(row.id, "secret", row.secret)
        assert secret is not None
        return Endpoint(
            id=row.id,
            agency_code=row.agency_code,
            url=row.url,
            description=row.description,
            event_types=frozenset(EventType(name) for name in row.event_types),
            enabled=row.enabled,
            secret=secret,
            created_at=row.created_at,
            updated_at=row.updated_at,
            created_by=row.created_by,
            previous_secret=self._secrets.open(row.id, "previous_secret", row.previous_secret),
            previous_secret_expires_at=row.previous_secret_expires_at,
            consecutive_failures=row.consecutive_failures,
            paused_until=row.paused_until,
            version=row.version,
        )

    def _fill(self, endpoint: Endpoint, row: WebhookEndpointRow) -> WebhookEndpointRow:
        row.url = endpoint.url
        row.description = endpoint.description
        row.event_types = sorted(kind.value for kind in endpoint.event_types)
        row.enabled = endpoint.enabled
        row.secret = self._secrets.seal(endpoint.id, "secret", endpoint.secret) or b""
        row.previous_secret = self._secrets.seal(
            endpoint.id, "previous_secret", endpoint.previous_secret
        )
        row.previous_secret_expires_at = endpoint.previous_secret_expires_at
        row.consecutive_failures = endpoint.consecutive_failures
        row.paused_until = endpoint.paused_until
        row.updated_at = endpoint.updated_at
        row.version = endpoint.version
        return row

    async def add(self, endpoint: Endpoint) -> None:
        row = WebhookEndpointRow(
            id=endpoint.id,
            agency_code=endpoint.agency_code,
            url=endpoint.url,
            event_types=[],
            enabled=endpoint.enabled,
            secret=b"",
            created_at=endpoint.created_at,
            created_by=endpoint.created_by,
            updated_at=endpoint.updated_at,
        )
        self._session.add(self._fill(endpoint, row))
        await self._session.flush()

    async def get(self, endpoint_id: UUID, *, for_update: bool = False) -> Endpoint | None:
        query = (
            select(WebhookEndpointRow)
            .where(WebhookEndpointRow.id == endpoint_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        return self._entity(row) if row else None

    async def save(self, endpoint: Endpoint) -> None:
        row = await self._session.get(WebhookEndpointRow, endpoint.id)
        if row is None:
            raise LookupError(f"webhook endpoint {endpoint.id} vanished")
        self._session.add(self._fill(endpoint, row))
        await self._session.flush()

    async def list(self, *, agency_code: str | None) -> list[Endpoint]:
        query = select(WebhookEndpointRow).order_by(
            col(WebhookEndpointRow.created_at), col(WebhookEndpointRow.id)
        )
        if agency_code is not None:
            query = query.where(WebhookEndpointRow.agency_code == agency_code)
        return [self._entity(row) for row in (await self._session.exec(query)).all()]


_LIST = """
SELECT d.id, d.endpoint_id, d.event_id, o.type, d.state, d.attempt_count, d.next_attempt_at,
       d.queued_at, d.created_at, d.delivered_at, d.last_status_code, d.last_latency_ms,
       d.last_error
FROM webhook_deliveries d JOIN outbox_events o ON o.id = d.event_id
WHERE d.endpoint_id = :endpoint {filters}
ORDER BY d.created_at DESC, d.id DESC
LIMIT :limit
"""
_ATTEMPTS = text(
    "SELECT delivery_id, at, status_code, latency_ms, error FROM webhook_attempts "
    "WHERE delivery_id = ANY(:ids) ORDER BY id"
).bindparams(bindparam("ids", type_=ARRAY(Uuid)))
_REQUEUE = text(
    "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = :now, queued_at = :now "
    "WHERE id = :id AND endpoint_id = :endpoint RETURNING id"
)
_REQUEUE_SINCE = text(
    """
INSERT INTO webhook_deliveries
    (id, event_id, endpoint_id, state, attempt_count, next_attempt_at, queued_at, created_at)
SELECT gen_random_uuid(), o.id, :endpoint, 'pending', 0, :now, :now, :now
FROM outbox_events o
WHERE o.agency_code = :agency AND o.occurred_at >= :since AND o.type = ANY(:types)
ON CONFLICT (event_id, endpoint_id) DO UPDATE
    SET state = 'pending', next_attempt_at = EXCLUDED.next_attempt_at,
        queued_at = EXCLUDED.queued_at
"""
).bindparams(bindparam("types", type_=ARRAY(String)))
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")


def delivery_of(row: Any, attempts: list[Attempt]) -> Delivery:
    return Delivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=EventType(row.type),
        message_id=OutboxEvent.message_id_of(row.event_id),
        state=DeliveryState(row.state),
        attempt_count=row.attempt_count,
        next_attempt_at=row.next_attempt_at if row.state == DeliveryState.PENDING else None,
        queued_at=row.queued_at,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        last_status_code=row.last_status_code,
        last_latency_ms=row.last_latency_ms,
        last_error=row.last_error,
        attempts=attempts,
    )


class SqlDeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list(
        self, endpoint_id: UUID, *, state: DeliveryState | None, page: PageRequest[Cursor]
    ) -> list[Delivery]:
        filters = ""
        params: dict[str, Any] = {"endpoint": endpoint_id, "limit": page.fetch}
        if state is not None:
            filters += " AND d.state = :state"
            params["state"] = state.value
        if page.after is not None:
            filters += " AND (d.created_at, d.id) < (:at, :id)"
            params |= {"at": page.after.at, "id": page.after.id}
        connection = await self._session.connection()
        rows = list(await connection.execute(text(_LIST.format(filters=filters)), params))
        attempts: dict[UUID, list[Attempt]] = defaultdict(list)
        if rows:
            found = await connection.execute(_ATTEMPTS, {"ids": [r.id for r in rows]})
            for a in found:
                attempts[a.delivery_id].append(Attempt(a.at, a.status_code, a.latency_ms, a.error))
        return [delivery_of(row, attempts[row.id]) for row in rows]

    async def requeue(self, endpoint: Endpoint, *, delivery_id: UUID, now: datetime) -> bool:
        connection = await self._session.connection()
        found = await connection.execute(
            _REQUEUE, {"id": delivery_id, "endpoint": endpoint.id, "now": now}
        )
        if found.first() is None:
            return False
        await connection.execute(_NOTIFY)
        return True

    async def requeue_since(self, endpoint: Endpoint, *, since: datetime, now: datetime) -> int:
        connection = await self._session.connection()
        result = await connection.execute(
            _REQUEUE_SINCE,
            {
                "endpoint": endpoint.id,
                "agency": endpoint.agency_code,
                "since": since,
                "now": now,
                "types": sorted(kind.value for kind in endpoint.event_types),
            },
        )
        if result.rowcount:
            await connection.execute(_NOTIFY)
        return int(result.rowcount)
