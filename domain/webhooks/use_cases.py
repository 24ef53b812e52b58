"""Use cases of partner integration: webhook endpoints, their delivery log, redelivery,
and the changes feed.

Partner accounts manage their own agency's endpoints and read their own agency's feed
(`Scope.OWN`); admins act for any agency (they name it). An endpoint of another agency
is a 404, exactly like one that does not exist. Audit entries carry ids, the agency code,
field names and counts: never the URL (it may carry a partner's token) nor a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain import policy
from domain.agencies.model import normalize_agency_code
from domain.audit.model import AuditAction, AuditActor, DetailValue
from domain.concurrency import VersionMatch, require_version
from domain.errors import Forbidden, InvalidInput
from domain.outbox.model import EventType, OutboxEvent
from domain.pagination import CommitCursor, Cursor, Page, PageRequest, paginate
from domain.policy import Action, Principal, Scope
from domain.webhooks.errors import DeliveryNotFound, EndpointNotFound
from domain.webhooks.model import (
    MAX_ENDPOINTS_PER_AGENCY,
    Delivery,
    DeliveryState,
    Endpoint,
    event_types,
)
from domain.webhooks.ports import Change, WebhooksUnitOfWork
from domain.webhooks.urls import UrlGuard

ENTITY = "webhook_endpoint"
#: How long a rotated-out secret still signs, unless the caller says otherwise.
DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=30)


def _caller(actor: Principal | None) -> Principal:
    if actor is None:  # pragma: no cover - require() refuses anonymous callers first
        raise Forbidden("Partners and admins only.")
    return actor


def _agency(actor: Principal | None, action: Action, requested: str | None) -> str | None:
    """The agency the caller acts for: a partner's own (whatever it asks), the one an
    admin names (None: every agency, where that makes sense)."""
    scope = policy.require(actor, action)
    if scope is Scope.ALL:
        return normalize_agency_code(requested) if requested else None
    # A partner account without an agency reaches nothing: no agency has the code ''.
    return _caller(actor).agency_code or ""


def _named_agency(actor: Principal | None, action: Action, requested: str | None) -> str:
    agency = _agency(actor, action, requested)
    if agency is None:
        raise InvalidInput("agency_code is required: name the agency you act for.")
    return agency


async def _endpoint(
    uow: WebhooksUnitOfWork, actor: Principal | None, endpoint_id: UUID, *, for_update: bool = False
) -> Endpoint:
    scope = policy.require(actor, Action.WEBHOOK_MANAGE)
    endpoint = await uow.endpoints.get(endpoint_id, for_update=for_update)
    if endpoint is None or (
        scope is not Scope.ALL
        and (not _caller(actor).agency_code or endpoint.agency_code != _caller(actor).agency_code)
    ):
        raise EndpointNotFound(endpoint_id)
    return endpoint


async def _audit(
    uow: WebhooksUnitOfWork,
    actor: Principal | None,
    action: AuditAction,
    endpoint: Endpoint,
    details: dict[str, DetailValue] | None = None,
) -> None:
    await uow.audit.record(
        AuditActor.of(actor),
        action,
        entity_type=ENTITY,
        entity_id=endpoint.id,
        details={"agency_code": endpoint.agency_code, **(details or {})},
    )


async def create_endpoint(
    uow: WebhooksUnitOfWork,
    guard: UrlGuard,
    *,
    actor: Principal | None,
    url: str,
    types: list[str] | None = None,
    description: str | None = None,
    enabled: bool = True,
    agency_code: str | None = None,
) -> Endpoint:
    """Register an endpoint; its signing secret is in the answer, this once only.
    A URL that is not https or reaches a non-public address is refused (422), and so is
    an agency's endpoint beyond MAX_ENDPOINTS_PER_AGENCY."""
    agency = _named_agency(actor, Action.WEBHOOK_MANAGE, agency_code)
    if len(await uow.endpoints.list(agency_code=agency)) >= MAX_ENDPOINTS_PER_AGENCY:
        raise InvalidInput(
            f"The agency has {MAX_ENDPOINTS_PER_AGENCY} webhook endpoints, the most it may "
            "have: change the URL of one it no longer uses (PATCH) instead."
        )
    target = await guard.check(url)
    endpoint = Endpoint.new(
        agency_code=agency,
        url=target.url,
        description=description,
        types=event_types(types),
        enabled=enabled,
        created_by=_caller(actor).account_id,
        at=uow.clock.now(),
    )
    await uow.endpoints.add(endpoint)
    await _audit(uow, actor, AuditAction.WEBHOOK_ENDPOINT_CREATED, endpoint)
    await uow.commit()
    return endpoint


async def list_endpoints(
    uow: WebhooksUnitOfWork, *, actor: Principal | None, agency_code: str | None = None
) -> list[Endpoint]:
    """A partner's agency's endpoints (admins: every agency's, or the one named)."""
    agency = _agency(actor, Action.WEBHOOK_MANAGE, agency_code)
    return await uow.endpoints.list(agency_code=agency)


async def get_endpoint(
    uow: WebhooksUnitOfWork, *, actor: Principal | None, endpoint_id: UUID
) -> Endpoint:
    return await _endpoint(uow, actor, endpoint_id)


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    """A partial update: only the names in `fields` were sent."""

    fields: frozenset[str]
    url: str | None = None
    description: str | None = None
    types: list[str] | None = None
    enabled: bool | None = None


async def update_endpoint(
    uow: WebhooksUnitOfWork,
    guard: UrlGuard,
    *,
    actor: Principal | None,
    endpoint_id: UUID,
    changes: EndpointChanges,
    expected_version: VersionMatch | None,
) -> Endpoint:
    """Change the URL (checked again), the event types, the description, or enable or
    disable it (If-Match). Enabling closes the circuit breaker."""
    endpoint = await _endpoint(uow, actor, endpoint_id, for_update=True)
    require_version(ENTITY, endpoint.version, expected_version)
    url = None
    if "url" in changes.fields and changes.url is not None:
        url = (await guard.check(changes.url)).url
    changed = endpoint.change(
        fields=changes.fields,
        at=uow.clock.now(),
        url=url,
        description=changes.description,
        types=event_types(changes.types) if "event_types" in changes.fields else None,
        enabled=changes.enabled,
    )
    if not changed:
        return endpoint
    await uow.endpoints.save(endpoint)
    await _audit(
        uow,
        actor,
        AuditAction.WEBHOOK_ENDPOINT_UPDATED,
        endpoint,
        {"fields": list[DetailValue](changed), "version": endpoint.version},
    )
    await uow.commit()
    return endpoint


async def disable_endpoint(
    uow: WebhooksUnitOfWork, *, actor: Principal | None, endpoint_id: UUID
) -> Endpoint:
    """Stop delivering to the endpoint (its log is kept; pending deliveries wait until
    it is enabled again, within their retry window)."""
    endpoint = await _endpoint(uow, actor, endpoint_id, for_update=True)
    if endpoint.change(fields=frozenset({"enabled"}), at=uow.clock.now(), enabled=False):
        await uow.endpoints.save(endpoint)
        await _audit(uow, actor, AuditAction.WEBHOOK_ENDPOINT_DISABLED, endpoint)
        await uow.commit()
    return endpoint


async def rotate_secret(
    uow: WebhooksUnitOfWork,
    *,
    actor: Principal | None,
    endpoint_id: UUID,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> Endpoint:
    """A new signing secret (in the answer, once); deliveries carry signatures of both the
    new and the previous secret for `overlap`, so the receiver can switch at leisure."""
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise InvalidInput("The overlap is between 0 and 30 days.")
    endpoint = await _endpoint(uow, actor, endpoint_id, for_update=True)
    endpoint.rotate_secret(at=uow.clock.now(), overlap=overlap)
    await uow.endpoints.save(endpoint)
    await _audit(
        uow,
        actor,
        AuditAction.WEBHOOK_SECRET_ROTATED,
        endpoint,
        {"overlap_seconds": int(overlap.total_seconds())},
    )
    await uow.commit()
    return endpoint


async def send_test_event(
    uow: WebhooksUnitOfWork, *, actor: Principal | None, endpoint_id: UUID
) -> OutboxEvent:
    """Queue a `webhook.test` event for this endpoint only (enabled or not: it is sent
    once the endpoint is enabled)."""
    endpoint = await _endpoint(uow, actor, endpoint_id)
    event = OutboxEvent.new(
        EventType.WEBHOOK_TEST,
        agency_code=endpoint.agency_code,
        at=uow.clock.now(),
        data={"endpoint_id": str(endpoint.id)},
    )
    await uow.outbox.add(event, only_endpoint=endpoint.id)
    await _audit(uow, actor, AuditAction.WEBHOOK_TEST_SENT, endpoint, {"event_id": str(event.id)})
    await uow.commit()
    return event


async def list_deliveries(
    uow: WebhooksUnitOfWork,
    *,
    actor: Principal | None,
    endpoint_id: UUID,
    state: DeliveryState | None,
    page: PageRequest[Cursor],
) -> Page[Delivery]:
    """The delivery log, newest first: attempts, status codes, latency, next retry."""
    endpoint = await _endpoint(uow, actor, endpoint_id)
    rows = await uow.deliveries.list(endpoint.id, state=state, page=page)
    return paginate(rows, page, key=lambda d: Cursor(at=d.created_at, id=d.id))


async def redeliver(
    uow: WebhooksUnitOfWork, *, actor: Principal | None, endpoint_id: UUID, delivery_id: UUID
) -> None:
    """Send one delivery again (delivered, failed or pending), with the same webhook-id."""
    endpoint = await _endpoint(uow, actor, endpoint_id)
    if not await uow.deliveries.requeue(endpoint, delivery_id=delivery_id, now=uow.clock.now()):
        raise DeliveryNotFound(delivery_id)
    await _audit(
        uow, actor, AuditAction.WEBHOOK_REDELIVERED, endpoint, {"delivery_id": str(delivery_id)}
    )
    await uow.commit()


async def redeliver_since(
    uow: WebhooksUnitOfWork, *, actor: Principal | None, endpoint_id: UUID, since: datetime
) -> int:
    """Send again every event of the agency (of the endpoint's types) since `since`,
    including those that happened while the endpoint did not exist or was disabled."""
    endpoint = await _endpoint(uow, actor, endpoint_id)
    now = uow.clock.now()
    if since.tzinfo is None or since > now:
        raise InvalidInput("since must be a past instant with a time zone.")
    count = await uow.deliveries.requeue_since(endpoint, since=since, now=now)
    await _audit(
        uow,
        actor,
        AuditAction.WEBHOOK_REDELIVERED,
        endpoint,
        {"since": since.isoformat(), "count": count},
    )
    await uow.commit()
    return count


@dataclass(frozen=True, slots=True)
class ChangesPage:
    items: list[Change]
    #: Always set: where the next poll starts (the same cursor when nothing was new).
    next_cursor: str
    has_more: bool


async def list_changes(
    uow: WebhooksUnitOfWork,
    *,
    actor: Principal | None,
    after: CommitCursor | None,
    limit: int,
    agency_code: str | None = None,
) -> ChangesPage:
    """The agency's events in commit order, each exactly once across pages."""
    agency = _named_agency(actor, Action.CHANGES_READ, agency_code)
    rows = await uow.changes.changes(agency, after=after, limit=limit + 1)
    items = rows[:limit]
    position = items[-1].position if items else (after or CommitCursor(xid=0, seq=0))
    return ChangesPage(items, position.encode(), has_more=len(rows) > limit)
