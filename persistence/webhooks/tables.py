"""Webhook endpoints (secrets sealed), deliveries of outbox events and their attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlmodel import Field, SQLModel

from domain.webhooks.model import DeliveryState
from persistence.base import one_of


def _tz() -> DateTime:
    return DateTime(timezone=True)


class WebhookEndpointRow(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_agency_code", "agency_code"),)

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    agency_code: str = Field(
        sa_column=Column(String(16), ForeignKey("agencies.code"), nullable=False)
    )
    url: str = Field(sa_column=Column(String(2000), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String(300)))
    event_types: list[str] = Field(sa_column=Column(ARRAY(String(64)), nullable=False))
    enabled: bool = Field(sa_column=Column(Boolean, nullable=False))
    # Sealed (AES-256-GCM): the signing secrets must be read back to sign.
    secret: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    previous_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    previous_secret_expires_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    consecutive_failures: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    paused_until: datetime | None = Field(default=None, sa_column=Column(_tz()))
    created_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    # The account or the API client that registered it (no foreign key: either table).
    created_by: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    updated_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))


class WebhookDeliveryRow(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(one_of("state", DeliveryState), name="state_known"),
        UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_deliveries_event_id"),
        # The worker's queue: pending deliveries by due time.
        Index(
            "ix_webhook_deliveries_next_attempt_at",
            "next_attempt_at",
            postgresql_where=text("state = 'pending'"),
        ),
        Index(
            "ix_webhook_deliveries_endpoint_id_created_at_id",
            "endpoint_id",
            text("created_at DESC"),
            text("id DESC"),
        ),
    )

    id: uuid.UUID = Field(sa_column=Column(Uuid, primary_key=True))
    event_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("outbox_events.id"), nullable=False)
    )
    endpoint_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("webhook_endpoints.id"), nullable=False)
    )
    state: str = Field(sa_column=Column(String(16), nullable=False))
    attempt_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    queued_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    created_at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(_tz()))
    last_status_code: int | None = Field(default=None, sa_column=Column(Integer))
    last_latency_ms: int | None = Field(default=None, sa_column=Column(Integer))
    last_error: str | None = Field(default=None, sa_column=Column(String(300)))


class WebhookAttemptRow(SQLModel, table=True):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery_id_id", "delivery_id", "id"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    delivery_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("webhook_deliveries.id"), nullable=False)
    )
    at: datetime = Field(sa_column=Column(_tz(), nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer))
    latency_ms: int = Field(sa_column=Column(Integer, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(String(300)))
