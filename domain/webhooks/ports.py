"""What the webhooks use cases need from storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.audit.ports import AuditLog
from domain.outbox.model import OutboxEvent
from domain.outbox.ports import EventOutbox
from domain.pagination import CommitCursor, Cursor, PageRequest
from domain.transaction import Transaction
from domain.webhooks.model import Delivery, DeliveryState, Endpoint


@dataclass(frozen=True, slots=True)
class Change:
    """An event of the changes feed, with its position in commit order."""

    event: OutboxEvent
    position: CommitCursor


class EndpointRepository(Protocol):
    async def add(self, endpoint: Endpoint) -> None: ...

    async def get(self, endpoint_id: UUID, *, for_update: bool = False) -> Endpoint | None: ...

    async def save(self, endpoint: Endpoint) -> None: ...

    async def list(self, *, agency_code: str | None) -> list[Endpoint]:
        """Oldest first (None: every agency's)."""
        ...


class DeliveryRepository(Protocol):
    async def list(
        self, endpoint_id: UUID, *, state: DeliveryState | None, page: PageRequest[Cursor]
    ) -> list[Delivery]:
        """Up to `page.fetch` deliveries after `page.after`, newest first, with attempts."""
        ...

    async def requeue(self, endpoint: Endpoint, *, delivery_id: UUID, now: datetime) -> bool:
        """Deliver that delivery again (pending now, a new retry window); False when the
        endpoint has no such delivery."""
        ...

    async def requeue_since(self, endpoint: Endpoint, *, since: datetime, now: datetime) -> int:
        """Deliver again every event of the endpoint's agency and types since `since`
        (creating the deliveries it never had); how many."""
        ...


class ChangeFeed(Protocol):
    async def changes(
        self, agency_code: str, *, after: CommitCursor | None, limit: int
    ) -> list[Change]:
        """Up to `limit` events of the agency after `after`, in commit order, only from
        transactions that can no longer commit anything before them."""
        ...


class WebhooksUnitOfWork(Transaction, Protocol):
    @property
    def endpoints(self) -> EndpointRepository: ...
    @property
    def deliveries(self) -> DeliveryRepository: ...
    @property
    def outbox(self) -> EventOutbox: ...
    @property
    def changes(self) -> ChangeFeed: ...
    @property
    def audit(self) -> AuditLog: ...
