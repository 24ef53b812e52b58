"""Request and response models of partner integration: webhook endpoints, the delivery
log, redelivery and the changes feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field

from api.pagination import PagePublic
from api.schemas import ApiModel
from domain.outbox.model import SUBSCRIBABLE, EventType
from domain.webhooks.model import Attempt, Delivery, DeliveryState, Endpoint
from domain.webhooks.ports import Change
from domain.webhooks.urls import URL_MAX
from domain.webhooks.use_cases import ChangesPage, EndpointChanges

_TYPES = [kind.value for kind in SUBSCRIBABLE]
_ENDPOINT_ID = "5f0c6a52-4d1e-4f43-9d59-2b1c8b3c7a11"
_ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": _ENDPOINT_ID,
    "agency_code": "PACC",
    "url": "https://cases.pacc.go.th/hooks/duangta",
    "description": "PACC case system",
    "event_types": _TYPES,
    "enabled": True,
    "paused_until": None,
    "consecutive_failures": 0,
    "previous_secret_expires_at": None,
    "created_at": "2026-12-01T03:00:00Z",
    "updated_at": "2026-12-01T03:00:00Z",
    "version": 1,
}
_SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw7ZcI/mIv9+8="  # noqa: S105 - an example
_EVENT_EXAMPLE: dict[str, Any] = {
    "id": "msg_0b5a3d5e7c2f4f6f9b1a2c3d4e5f6a7b",
    "type": "referral.created",
    "timestamp": "2026-12-01T03:04:05Z",
    "agency_code": "PACC",
    "data": {
        "referral_id": "2b7e4a9c-3f1d-4e2b-8c5a-6d7e8f9a0b1c",
        "investigation_id": "8f14e45f-ceea-467a-9575-0f1c3b2d4e5f",
        "investigation_reference": "INV-2569-000042",
        "agency_code": "PACC",
        "status": "referred",
    },
}


class _Public(ApiModel):
    model_config = ConfigDict(from_attributes=True)


class WebhookEndpointCreate(ApiModel):
    """A partner's HTTPS endpoint and the events it wants."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://cases.pacc.go.th/hooks/duangta",
                    "event_types": ["referral.created", "referral.updated"],
                    "description": "PACC case system",
                }
            ]
        }
    )

    url: str = Field(min_length=1, max_length=URL_MAX, description="https only; public hosts")
    event_types: list[str] | None = Field(
        default=None,
        max_length=len(_TYPES),
        description="Subscribed types; leave out for all: " + ", ".join(_TYPES),
    )
    description: str | None = Field(default=None, max_length=300)
    enabled: bool = True
    agency_code: str | None = Field(
        default=None,
        max_length=16,
        description="Admins only: the agency the endpoint belongs to (partners: their own)",
    )


class WebhookEndpointUpdate(ApiModel):
    """Fields to change; omitted fields stay. `enabled: true` also closes the breaker."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"event_types": ["referral.updated"], "enabled": True}]}
    )

    url: str | None = Field(default=None, min_length=1, max_length=URL_MAX)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=len(_TYPES))
    description: str | None = Field(default=None, max_length=300)
    enabled: bool | None = None

    def changes(self) -> EndpointChanges:
        sent = self.model_dump(exclude_unset=True)
        return EndpointChanges(
            fields=frozenset(sent),
            url=sent.get("url"),
            description=sent.get("description"),
            types=sent.get("event_types"),
            enabled=sent.get("enabled"),
        )


class WebhookEndpointPublic(_Public):
    """An endpoint (never its secret: that is shown once, when created or rotated)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ENDPOINT_EXAMPLE]})

    id: UUID
    agency_code: str
    url: str
    description: str | None
    event_types: list[EventType]
    enabled: bool
    paused_until: datetime | None = Field(
        description="Set while the circuit breaker pauses deliveries after repeated failures"
    )
    consecutive_failures: int
    previous_secret_expires_at: datetime | None = Field(
        description="Until then, deliveries are also signed with the previous secret"
    )
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, endpoint: Endpoint) -> WebhookEndpointPublic:
        return cls(
            id=endpoint.id,
            agency_code=endpoint.agency_code,
            url=endpoint.url,
            description=endpoint.description,
            event_types=sorted(endpoint.event_types),
            enabled=endpoint.enabled,
            paused_until=endpoint.paused_until,
            consecutive_failures=endpoint.consecutive_failures,
            previous_secret_expires_at=endpoint.previous_secret_expires_at,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
            version=endpoint.version,
        )


class WebhookEndpointSecretPublic(WebhookEndpointPublic):
    """The endpoint with its signing secret: shown this once, keep it safe."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_ENDPOINT_EXAMPLE, "secret": _SECRET_EXAMPLE}]}
    )

    secret: str = Field(description="`whsec_<base64>`: verify `webhook-signature` with it")

    @classmethod
    def with_secret(cls, endpoint: Endpoint) -> WebhookEndpointSecretPublic:
        return cls(**WebhookEndpointPublic.of(endpoint).model_dump(), secret=endpoint.secret)


class WebhookEndpointList(ApiModel):
    """The agency's endpoints, oldest first."""

    items: list[WebhookEndpointPublic]


class WebhookSecretRotation(ApiModel):
    """How long the previous secret keeps signing beside the new one."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"overlap_hours": 24}]})

    overlap_hours: float = Field(default=24, ge=0, le=720)


class WebhookTestPublic(ApiModel):
    """The test event queued for the endpoint."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_id": "0b5a3d5e-7c2f-4f6f-9b1a-2c3d4e5f6a7b",
                    "webhook_id": "msg_0b5a3d5e7c2f4f6f9b1a2c3d4e5f6a7b",
                }
            ]
        }
    )

    event_id: UUID
    webhook_id: str


class WebhookAttemptPublic(_Public):
    at: datetime
    status_code: int | None = Field(description="null: no answer (timeout, refused, ...)")
    latency_ms: int
    error: str | None

    @classmethod
    def of(cls, attempt: Attempt) -> WebhookAttemptPublic:
        return cls.model_validate(attempt)


class WebhookDeliveryPublic(_Public):
    """One event to this endpoint: its state and every attempt."""

    id: UUID
    event_id: UUID
    event_type: EventType
    webhook_id: str = Field(description="The `webhook-id` header: the same on every attempt")
    state: DeliveryState
    attempt_count: int
    next_attempt_at: datetime | None = Field(description="When pending: the next try")
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    attempts: list[WebhookAttemptPublic]

    @classmethod
    def of(cls, delivery: Delivery) -> WebhookDeliveryPublic:
        return cls(
            id=delivery.id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            webhook_id=delivery.message_id,
            state=delivery.state,
            attempt_count=delivery.attempt_count,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            last_status_code=delivery.last_status_code,
            last_latency_ms=delivery.last_latency_ms,
            last_error=delivery.last_error,
            attempts=[WebhookAttemptPublic.of(a) for a in delivery.attempts],
        )


class WebhookDeliveryPage(PagePublic[WebhookDeliveryPublic]):
    """A page of the delivery log, newest first."""


class WebhookRedeliverySince(ApiModel):
    """Deliver again every event of the endpoint's types since this instant."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"since": "2026-12-01T00:00:00Z"}]})

    since: AwareDatetime


class WebhookRedeliveryPublic(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"queued": 12}]})

    queued: int = Field(description="Deliveries queued again")


class ChangePublic(ApiModel):
    """An event, as its webhook body."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT_EXAMPLE]})

    id: str = Field(description="The event's `webhook-id` (deduplicate by it)")
    type: EventType
    timestamp: datetime
    agency_code: str
    data: dict[str, str | None]

    @classmethod
    def of(cls, change: Change) -> ChangePublic:
        return cls.model_validate(change.event.body())


class ChangesPagePublic(ApiModel):
    """Events in commit order; poll again with `next_cursor` (always set)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [_EVENT_EXAMPLE], "next_cursor": "WyJ4IiwxMjM0LDU2XQ", "has_more": False}
            ]
        }
    )

    items: list[ChangePublic]
    next_cursor: str = Field(description="Where the next poll starts (also when items is empty)")
    has_more: bool = Field(description="true: more events are ready now; fetch at once")

    @classmethod
    def of(cls, page: ChangesPage) -> ChangesPagePublic:
        return cls(
            items=[ChangePublic.of(c) for c in page.items],
            next_cursor=page.next_cursor,
            has_more=page.has_more,
        )
