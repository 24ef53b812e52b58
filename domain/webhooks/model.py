"""Webhook endpoints of partner agencies, deliveries of outbox events to them, and the
rules of retrying (exponential backoff with jitter, then `failed`) and of the circuit
breaker (an endpoint that keeps failing is paused, then tried again)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from domain.errors import InvalidInput
from domain.outbox.model import SUBSCRIBABLE, EventType
from domain.webhooks.signing import new_secret

DESCRIPTION_MAX = 300
#: Endpoints an agency may register (enabled or not). Every event goes to each enabled
#: endpoint of its agency, so the bound caps the fan-out of one change and the length of
#: the endpoint list. Endpoints are not deleted: a disabled one is repurposed with PATCH
#: (new URL, enabled again), so the bound never locks an agency out.
MAX_ENDPOINTS_PER_AGENCY = 20


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # given up after the retry window


def event_types(raw: list[str] | None) -> frozenset[EventType]:
    """The subscribed types (None or empty: every subscribable type)."""
    if not raw:
        return frozenset(SUBSCRIBABLE)
    chosen: set[EventType] = set()
    for name in raw:
        try:
            kind = EventType(name)
        except ValueError:
            kind = None
        if kind is None or kind not in SUBSCRIBABLE:
            raise InvalidInput(
                f"'{name[:50]}' is not an event type; one of " + ", ".join(SUBSCRIBABLE) + "."
            )
        chosen.add(kind)
    return frozenset(chosen)


def valid_secrets(
    secret: str, previous: str | None, previous_expires_at: datetime | None, now: datetime
) -> list[str]:
    """The secrets that sign now: the current one, and the previous one while its overlap
    lasts (every delivery carries one signature per secret)."""
    found = [secret]
    if previous and (previous_expires_at is None or now < previous_expires_at):
        found.append(previous)
    return found


def _description(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if len(text) > DESCRIPTION_MAX:
        raise InvalidInput(f"description: at most {DESCRIPTION_MAX} characters.")
    return text or None


@dataclass(slots=True)
class Endpoint:
    id: UUID
    agency_code: str
    url: str
    description: str | None
    event_types: frozenset[EventType]
    enabled: bool
    secret: str
    created_at: datetime
    updated_at: datetime
    created_by: UUID
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    #: Circuit breaker: failed attempts in a row, and until when the endpoint is paused.
    consecutive_failures: int = 0
    paused_until: datetime | None = None
    version: int = 1

    @classmethod
    def new(
        cls,
        *,
        agency_code: str,
        url: str,
        description: str | None,
        types: frozenset[EventType],
        enabled: bool,
        created_by: UUID,
        at: datetime,
    ) -> Endpoint:
        return cls(
            id=uuid.uuid4(),
            agency_code=agency_code,
            url=url,
            description=_description(description),
            event_types=types,
            enabled=enabled,
            secret=new_secret(),
            created_at=at,
            updated_at=at,
            created_by=created_by,
        )

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one while its overlap lasts."""
        return valid_secrets(
            self.secret, self.previous_secret, self.previous_secret_expires_at, now
        )

    def rotate_secret(self, *, at: datetime, overlap: timedelta) -> str:
        """A new secret; the old one still signs (beside it) for `overlap`."""
        self.previous_secret = self.secret
        self.previous_secret_expires_at = at + overlap
        self.secret = new_secret()
        self._touch(at)
        return self.secret

    def change(
        self,
        *,
        fields: frozenset[str],
        at: datetime,
        url: str | None = None,
        description: str | None = None,
        types: frozenset[EventType] | None = None,
        enabled: bool | None = None,
    ) -> list[str]:
        """Apply the fields sent; the names of those that changed."""
        changed: list[str] = []
        if "url" in fields and url is not None and url != self.url:
            self.url, changed = url, [*changed, "url"]
        if "description" in fields and _description(description) != self.description:
            self.description, changed = _description(description), [*changed, "description"]
        if "event_types" in fields and types is not None and types != self.event_types:
            self.event_types, changed = types, [*changed, "event_types"]
        if "enabled" in fields and enabled is not None and enabled != self.enabled:
            self.enabled, changed = enabled, [*changed, "enabled"]
            if enabled:  # enabling by hand closes the breaker
                self.consecutive_failures, self.paused_until = 0, None
        if changed:
            self._touch(at)
        return changed

    def _touch(self, at: datetime) -> None:
        self.updated_at = at
        self.version += 1


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event to one endpoint, with its attempts (the delivery log)."""

    id: UUID
    endpoint_id: UUID
    event_id: UUID
    event_type: EventType
    message_id: str
    state: DeliveryState
    attempt_count: int
    next_attempt_at: datetime | None
    #: When it was (re)queued: its retry window starts here.
    queued_at: datetime
    created_at: datetime
    delivered_at: datetime | None = None
    last_status_code: int | None = None
    last_latency_ms: int | None = None
    last_error: str | None = None
    attempts: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with ("equal") jitter: attempt n waits a random time between half
    and all of `first * 2**(n-1)` (at most `longest`); after `window` it is given up."""

    first: timedelta = timedelta(seconds=5)
    longest: timedelta = timedelta(hours=6)
    window: timedelta = timedelta(hours=72)

    def next_attempt(
        self, *, failures: int, now: datetime, queued_at: datetime, jitter: float
    ) -> datetime | None:
        """When to try again after `failures` failed attempts (None: give up).
        `jitter` is a random number in [0, 1)."""
        ceiling = min(self.first * (2 ** min(failures - 1, 40)), self.longest)
        at = now + ceiling * (0.5 + jitter / 2)
        return at if at < queued_at + self.window else None


@dataclass(frozen=True, slots=True)
class Breaker:
    """After `failures` failed attempts in a row, an endpoint is paused for `pause`; the
    first attempt after the pause closes the breaker when it succeeds and pauses the
    endpoint again when it fails."""

    failures: int = 10
    pause: timedelta = timedelta(minutes=30)

    def paused_until(self, consecutive_failures: int, now: datetime) -> datetime | None:
        return now + self.pause if consecutive_failures >= self.failures else None
