"""The delivery worker's queue: claim one due delivery, record how its attempt went.

A claim is `SELECT ... FOR UPDATE OF d SKIP LOCKED` in a transaction that stays open
while the worker sends the request, and the outcome is written in that same transaction.
So two workers never hold the same delivery (the second skips the locked row), and a
worker that dies mid-delivery loses its connection, PostgreSQL rolls its transaction
back and releases the row: the delivery is still pending and is sent again (at least
once, with the same webhook-id). No lease to tune, no stale claim to reap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.outbox.model import OutboxEvent
from domain.webhooks.model import Attempt, Breaker, DeliveryState, valid_secrets
from persistence.outbox.repository import event_of
from persistence.webhooks.repository import EndpointSecrets

_CLAIM = text(
    """
SELECT d.id AS delivery_id, d.attempt_count, d.queued_at,
       o.id, o.type, o.agency_code, o.occurred_at, o.data,
       e.id AS endpoint_id, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at
FROM webhook_deliveries d
JOIN webhook_endpoints e ON e.id = d.endpoint_id
JOIN outbox_events o ON o.id = d.event_id
WHERE d.state = 'pending' AND d.next_attempt_at <= :now
  AND e.enabled AND (e.paused_until IS NULL OR e.paused_until <= :now)
ORDER BY d.next_attempt_at
LIMIT 1
FOR UPDATE OF d SKIP LOCKED
"""
)
_ATTEMPT = text(
    "INSERT INTO webhook_attempts (delivery_id, at, status_code, latency_ms, error) "
    "VALUES (:id, :at, :status, :latency, :error)"
)
_RESULT = text(
    """
UPDATE webhook_deliveries
SET state = :state, attempt_count = attempt_count + 1, next_attempt_at = :next,
    delivered_at = :delivered, last_status_code = :status, last_latency_ms = :latency,
    last_error = :error
WHERE id = :id
"""
)
# Only when there is something to reset: an UPDATE locks the endpoint's row until commit,
# and every delivery to the endpoint would queue behind it.
_SUCCEEDED = text(
    "UPDATE webhook_endpoints SET consecutive_failures = 0, paused_until = NULL "
    "WHERE id = :id AND (consecutive_failures <> 0 OR paused_until IS NOT NULL)"
)
_FAILED = text(
    "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1 "
    "WHERE id = :id RETURNING consecutive_failures"
)
_PAUSE = text("UPDATE webhook_endpoints SET paused_until = :until WHERE id = :id")
_NEXT_DUE = text(
    """
SELECT min(GREATEST(d.next_attempt_at, e.paused_until))
FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.state = 'pending' AND e.enabled
"""
)


@dataclass(frozen=True, slots=True)
class Claim:
    delivery_id: UUID
    endpoint_id: UUID
    attempt_count: int
    queued_at: datetime
    event: OutboxEvent
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None

    def secrets(self, now: datetime) -> list[str]:
        return valid_secrets(
            self.secret, self.previous_secret, self.previous_secret_expires_at, now
        )


class SqlDeliveryQueue:
    """Works on one connection whose transaction the caller opened (and commits)."""

    def __init__(self, connection: AsyncConnection, secrets: EndpointSecrets) -> None:
        self._connection = connection
        self._secrets = secrets

    async def claim(self, now: datetime) -> Claim | None:
        row = (await self._connection.execute(_CLAIM, {"now": now})).first()
        if row is None:
            return None
        secret = self._secrets.open(row.endpoint_id, "secret", row.secret)
        assert secret is not None
        return Claim(
            delivery_id=row.delivery_id,
            endpoint_id=row.endpoint_id,
            attempt_count=row.attempt_count,
            queued_at=row.queued_at,
            event=event_of(row),
            url=row.url,
            secret=secret,
            previous_secret=self._secrets.open(
                row.endpoint_id, "previous_secret", row.previous_secret
            ),
            previous_secret_expires_at=row.previous_secret_expires_at,
        )

    async def record(
        self,
        claim: Claim,
        attempt: Attempt,
        *,
        delivered: bool,
        retry_at: datetime | None,
        breaker: Breaker,
    ) -> None:
        """The attempt, the delivery's new state (delivered; pending until `retry_at`;
        failed when there is no retry), and the endpoint's circuit breaker."""
        c = self._connection
        values = {"status": attempt.status_code, "latency": attempt.latency_ms}
        await c.execute(
            _ATTEMPT, {"id": claim.delivery_id, "at": attempt.at, "error": attempt.error, **values}
        )
        if delivered:
            state = DeliveryState.DELIVERED
        else:
            state = DeliveryState.PENDING if retry_at is not None else DeliveryState.FAILED
        await c.execute(
            _RESULT,
            {
                "id": claim.delivery_id,
                "state": state.value,
                "next": retry_at,
                "delivered": attempt.at if delivered else None,
                "error": attempt.error,
                **values,
            },
        )
        if delivered:
            await c.execute(_SUCCEEDED, {"id": claim.endpoint_id})
            return
        failures = (await c.execute(_FAILED, {"id": claim.endpoint_id})).scalar_one()
        until = breaker.paused_until(int(failures), attempt.at)
        if until is not None:
            await c.execute(_PAUSE, {"id": claim.endpoint_id, "until": until})

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery falls due (its endpoint's pause included)."""
        value: datetime | None = (await self._connection.execute(_NEXT_DUE)).scalar_one()
        return value
