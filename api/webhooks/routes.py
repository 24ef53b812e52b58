"""Partner integration: webhook endpoints, their delivery log and redelivery; the
changes feed of referrals' events.

HTTP wiring only: the schemas are in `schemas.py`. Partner accounts act for their own
agency; admins for any (they name it). Another agency's endpoint is a 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response

from api.concurrency import IfMatch, expected_version, set_etag
from api.deps import Uow, requires
from api.headers import ETAG, LOCATION, versioned_responses, with_headers
from api.pagination import Paging
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.services import UrlGuardDep
from api.webhooks.schemas import (
    ChangesPagePublic,
    WebhookDeliveryPage,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointPublic,
    WebhookEndpointSecretPublic,
    WebhookEndpointUpdate,
    WebhookRedeliveryPublic,
    WebhookRedeliverySince,
    WebhookSecretRotation,
    WebhookTestPublic,
)
from domain.pagination import MAX_CURSOR_LENGTH, MAX_PAGE, CommitCursor
from domain.policy import Action, Principal
from domain.webhooks import use_cases as uc
from domain.webhooks.model import DeliveryState, Endpoint

router = APIRouter(prefix="/api/v1/webhooks/endpoints", tags=["webhooks"], route_class=PlannedRoute)
changes_router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"], route_class=PlannedRoute)

Manager = Annotated[Principal | None, requires(Action.WEBHOOK_MANAGE)]
EndpointId = Annotated[UUID, Path(description="The endpoint's id")]
DeliveryId = Annotated[UUID, Path(description="The delivery's id")]
AgencyCode = Annotated[
    str | None,
    Query(max_length=16, description="Admins: the agency (partners: always their own)"),
]


def _answer(response: Response, endpoint: Endpoint) -> WebhookEndpointPublic:
    set_etag(response, endpoint.version)
    return WebhookEndpointPublic.of(endpoint)


@router.post(
    "",
    status_code=201,
    response_model=WebhookEndpointSecretPublic,
    responses=with_headers(201, LOCATION, ETAG) | problem_responses(401, 403, 422),
)
async def webhooks_endpoints_create(
    response: Response, uow: Uow, guard: UrlGuardDep, caller: Manager, body: WebhookEndpointCreate
) -> WebhookEndpointSecretPublic:
    """Register a webhook endpoint; the answer carries its signing secret, once.

    The URL must be https and its host must resolve to public addresses only (loopback,
    private, link-local, CGNAT, multicast, ULA, ... are refused with 422 unless the
    operator allow-lists them). Leave out `event_types` to receive every type.
    """
    endpoint = await uc.create_endpoint(
        uow,
        guard,
        actor=caller,
        url=body.url,
        types=body.event_types,
        description=body.description,
        enabled=body.enabled,
        agency_code=body.agency_code,
    )
    response.headers["Location"] = f"{router.prefix}/{endpoint.id}"
    set_etag(response, endpoint.version)
    return WebhookEndpointSecretPublic.with_secret(endpoint)


@router.get("", response_model=WebhookEndpointList, responses=problem_responses(401, 403, 422))
async def webhooks_endpoints_list(
    uow: Uow, caller: Manager, agency_code: AgencyCode = None
) -> WebhookEndpointList:
    """List the agency's webhook endpoints, oldest first.

    Partner accounts see their own agency's; admins every agency's, or `agency_code`'s.
    Secrets are never listed.
    """
    endpoints = await uc.list_endpoints(uow, actor=caller, agency_code=agency_code)
    return WebhookEndpointList(items=[WebhookEndpointPublic.of(e) for e in endpoints])


@router.get(
    "/{endpoint_id}",
    response_model=WebhookEndpointPublic,
    responses=versioned_responses(200, 401, 403, 404, 422),
)
async def webhooks_endpoints_get(
    response: Response, uow: Uow, caller: Manager, endpoint_id: EndpointId
) -> WebhookEndpointPublic:
    """Read one endpoint; sends an ETag (for PATCH).

    The secret is never shown again: rotate it if it is lost. `paused_until` is set while
    the circuit breaker holds deliveries back after repeated failures.
    """
    return _answer(response, await uc.get_endpoint(uow, actor=caller, endpoint_id=endpoint_id))


@router.patch(
    "/{endpoint_id}",
    response_model=WebhookEndpointPublic,
    responses=versioned_responses(200, 401, 403, 404, 412, 422, 428),
)
async def webhooks_endpoints_update(
    response: Response,
    uow: Uow,
    guard: UrlGuardDep,
    caller: Manager,
    endpoint_id: EndpointId,
    body: WebhookEndpointUpdate,
    if_match: IfMatch = None,
) -> WebhookEndpointPublic:
    """Change the URL (checked again), event types, description, or enable/disable it.

    If-Match required (missing: 428, stale: 412). Enabling an endpoint the circuit
    breaker paused resumes deliveries at once.
    """
    endpoint = await uc.update_endpoint(
        uow,
        guard,
        actor=caller,
        endpoint_id=endpoint_id,
        changes=body.changes(),
        expected_version=expected_version(if_match),
    )
    return _answer(response, endpoint)


@router.post(
    "/{endpoint_id}/disable",
    response_model=WebhookEndpointPublic,
    responses=versioned_responses(200, 401, 403, 404, 422),
)
async def webhooks_endpoints_disable(
    response: Response, uow: Uow, caller: Manager, endpoint_id: EndpointId
) -> WebhookEndpointPublic:
    """Stop deliveries to the endpoint (no body). Its log is kept; enable it again with
    PATCH `{"enabled": true}`: pending deliveries still in their retry window go out."""
    endpoint = await uc.disable_endpoint(uow, actor=caller, endpoint_id=endpoint_id)
    return _answer(response, endpoint)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=WebhookEndpointSecretPublic,
    responses=versioned_responses(200, 401, 403, 404, 422),
)
async def webhooks_endpoints_rotate_secret(
    response: Response,
    uow: Uow,
    caller: Manager,
    endpoint_id: EndpointId,
    body: WebhookSecretRotation | None = None,
) -> WebhookEndpointSecretPublic:
    """A new signing secret (in the answer, once). For `overlap_hours` (default 24) every
    delivery carries two signatures, by the new and the previous secret."""
    hours = (body or WebhookSecretRotation()).overlap_hours
    endpoint = await uc.rotate_secret(
        uow, actor=caller, endpoint_id=endpoint_id, overlap=timedelta(hours=hours)
    )
    set_etag(response, endpoint.version)
    return WebhookEndpointSecretPublic.with_secret(endpoint)


@router.post(
    "/{endpoint_id}/test",
    status_code=202,
    response_model=WebhookTestPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def webhooks_endpoints_test(
    uow: Uow, caller: Manager, endpoint_id: EndpointId
) -> WebhookTestPublic:
    """Queue a signed `webhook.test` event for this endpoint only (no body).

    It goes through the same queue, signature and retries as every event; follow it in
    the delivery log by its `webhook_id`.
    """
    event = await uc.send_test_event(uow, actor=caller, endpoint_id=endpoint_id)
    return WebhookTestPublic(event_id=event.id, webhook_id=event.message_id)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=WebhookDeliveryPage,
    responses=problem_responses(401, 403, 404, 422),
)
async def webhooks_deliveries_list(
    uow: Uow,
    caller: Manager,
    endpoint_id: EndpointId,
    paging: Paging,
    state: DeliveryState | None = None,
) -> WebhookDeliveryPage:
    """The endpoint's delivery log, newest first: each event's state, attempts (time,
    status code, latency in ms, error) and next retry."""
    page = await uc.list_deliveries(
        uow, actor=caller, endpoint_id=endpoint_id, state=state, page=paging.by_time()
    )
    return WebhookDeliveryPage.of(page, WebhookDeliveryPublic.of)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    responses=problem_responses(401, 403, 404, 422),
)
async def webhooks_deliveries_redeliver(
    uow: Uow, caller: Manager, endpoint_id: EndpointId, delivery_id: DeliveryId
) -> Response:
    """Send one delivery again (no body), with the same `webhook-id`.

    Delivered, failed or pending alike: it is queued now with a new retry window.
    Receivers that deduplicate by `webhook-id` see it as the same event.
    """
    await uc.redeliver(uow, actor=caller, endpoint_id=endpoint_id, delivery_id=delivery_id)
    return Response(status_code=202)


@router.post(
    "/{endpoint_id}/redeliver",
    status_code=202,
    response_model=WebhookRedeliveryPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def webhooks_endpoints_redeliver_since(
    uow: Uow, caller: Manager, endpoint_id: EndpointId, body: WebhookRedeliverySince
) -> WebhookRedeliveryPublic:
    """Send again every event of the endpoint's types since `since` (each with its own
    `webhook-id`), also those from before the endpoint existed or while it was disabled."""
    count = await uc.redeliver_since(uow, actor=caller, endpoint_id=endpoint_id, since=body.since)
    return WebhookRedeliveryPublic(queued=count)


@changes_router.get(
    "/changes", response_model=ChangesPagePublic, responses=problem_responses(401, 403, 422)
)
async def referrals_changes(
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.CHANGES_READ)],
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CURSOR_LENGTH,
            description="`next_cursor` of the previous poll; leave out to start at the first",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Events per page")] = 100,
    agency_code: AgencyCode = None,
) -> ChangesPagePublic:
    """The agency's events (referral.created, referral.updated, investigation.concluded)
    in commit order, for partners that cannot receive webhooks.

    Every event comes exactly once across pages, also one whose transaction committed
    after a later one: the feed returns only events of transactions that have ended
    (it may lag a running transaction by its duration, never skip it). Poll with
    `next_cursor`; `has_more: true` means fetch again at once.
    """
    after = CommitCursor.decode(cursor) if cursor else None
    page = await uc.list_changes(
        uow, actor=caller, after=after, limit=limit, agency_code=agency_code
    )
    return ChangesPagePublic.of(page)
