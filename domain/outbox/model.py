"""Domain events for partner systems, kept in a transactional outbox.

A use case that changes something a partner agency must learn about writes an
`OutboxEvent` through the `EventOutbox` port in the same transaction as the change: the
change and its event commit together, or neither does. The delivery worker
(`api/worker.py`) sends them as signed webhooks; the changes feed serves them to partners
that poll.

Payloads carry ids, the event type, the time, the agency and statuses only: never tip
content, case content, summaries, notes or anything about reporters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class EventType(StrEnum):
    REFERRAL_CREATED = "referral.created"
    REFERRAL_UPDATED = "referral.updated"
    INVESTIGATION_CONCLUDED = "investigation.concluded"
    #: Sent on demand to one endpoint (`POST .../endpoints/{id}/test`); not in the feed.
    WEBHOOK_TEST = "webhook.test"


#: The events a partner subscribes to (everything but the test event, always allowed).
SUBSCRIBABLE: tuple[EventType, ...] = (
    EventType.REFERRAL_CREATED,
    EventType.REFERRAL_UPDATED,
    EventType.INVESTIGATION_CONCLUDED,
)

#: Scalars only: ids, codes, statuses, timestamps as text.
EventData = dict[str, str | None]


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    id: UUID
    type: EventType
    agency_code: str
    occurred_at: datetime
    data: EventData = field(default_factory=dict)

    @classmethod
    def new(
        cls, type: EventType, *, agency_code: str, at: datetime, data: EventData
    ) -> OutboxEvent:
        return cls(id=uuid.uuid4(), type=type, agency_code=agency_code, occurred_at=at, data=data)

    @property
    def message_id(self) -> str:
        """The `webhook-id`: one per event, the same on every retry and redelivery, so a
        receiver can drop duplicates by it."""
        return self.message_id_of(self.id)

    @staticmethod
    def message_id_of(event_id: UUID) -> str:
        return f"msg_{event_id.hex}"

    def body(self) -> dict[str, Any]:
        """The JSON body partners receive (webhooks) and read (the changes feed)."""
        return {
            "id": self.message_id,
            "type": self.type.value,
            "timestamp": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "agency_code": self.agency_code,
            "data": dict(self.data),
        }
