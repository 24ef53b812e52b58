"""The outbox port: what use cases write events through (in their own transaction)."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.outbox.model import OutboxEvent


class EventOutbox(Protocol):
    async def add(self, event: OutboxEvent, *, only_endpoint: UUID | None = None) -> None:
        """Store the event in the current transaction, with one pending delivery for each
        enabled endpoint of its agency subscribed to its type (`only_endpoint`: that
        endpoint only, subscribed or not: the test event). Nothing is visible, and nothing
        is delivered, unless the transaction commits."""
        ...

    async def outbox_backlog(self) -> int:
        """Deliveries to enabled endpoints not yet delivered nor given up (for /metrics;
        paused endpoints' count: they are due again after the pause)."""
        ...
