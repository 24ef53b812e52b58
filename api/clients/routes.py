"""API clients of partner systems: admins register, list, rotate and revoke them.

HTTP wiring only: the schemas are in `schemas.py`. The client credentials grant itself
is `POST /api/v1/auth/token` (api/sessions/routes.py).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Response

from api.clients.schemas import (
    ClientCreate,
    ClientPage,
    ClientPublic,
    ClientSecretPublic,
    SecretRotation,
)
from api.deps import Uow, requires
from api.headers import LOCATION, with_headers
from api.pagination import Paging
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.services import SettingsDep
from api.sessions.routes import CACHE_CONTROL, NO_STORE, PRAGMA
from domain.clients import use_cases as uc
from domain.policy import Action, Principal

router = APIRouter(prefix="/api/v1/clients", tags=["clients"], route_class=PlannedRoute)

Admin = Annotated[Principal | None, requires(Action.CLIENT_MANAGE)]
ClientId = Annotated[UUID, Path(description="The client's id (its `client_id`)")]


@router.post(
    "",
    status_code=201,
    response_model=ClientSecretPublic,
    responses=with_headers(201, LOCATION, CACHE_CONTROL, PRAGMA) | problem_responses(401, 403, 422),
)
async def clients_create(
    response: Response, uow: Uow, caller: Admin, body: ClientCreate
) -> ClientSecretPublic:
    """Register an API client for a partner agency's system (admins).

    The agency must be active (422 otherwise). The answer holds the client's secret,
    once: only a keyed hash is stored, so a lost secret is replaced by a rotation.
    """
    issued = await uc.register_client(
        uow, actor=caller, name=body.name, agency_code=body.agency_code, scopes=body.scopes
    )
    response.headers["Location"] = f"{router.prefix}/{issued.client.id}"
    response.headers.update(NO_STORE)
    return ClientSecretPublic.of(issued)


@router.get("", response_model=ClientPage, responses=problem_responses(401, 403, 422))
async def clients_list(
    uow: Uow,
    caller: Admin,
    paging: Paging,
    agency_code: Annotated[
        str | None, Query(max_length=16, description="Only this agency's clients")
    ] = None,
    active: Annotated[
        bool | None, Query(description="Only clients not revoked (or revoked)")
    ] = None,
) -> ClientPage:
    """List API clients, newest first (admins), a page at a time; never with secrets.

    Filters: `agency_code` (any case) and `active` (false: the revoked ones).
    """
    page = await uc.list_clients(
        uow, actor=caller, agency_code=agency_code, active=active, page=paging.by_time()
    )
    return ClientPage.of(page, ClientPublic.of)


@router.get(
    "/{client_id}", response_model=ClientPublic, responses=problem_responses(401, 403, 404, 422)
)
async def clients_get(uow: Uow, caller: Admin, client_id: ClientId) -> ClientPublic:
    """Read one API client (admins); never with its secret.

    Shows its scopes, when its secret was last rotated, until when the previous secret
    is accepted, whether it is revoked and when it last requested a token.
    """
    return ClientPublic.of(await uc.get_client(uow, actor=caller, client_id=client_id))


@router.post(
    "/{client_id}/rotate-secret",
    response_model=ClientSecretPublic,
    responses=with_headers(200, CACHE_CONTROL, PRAGMA) | problem_responses(401, 403, 404, 409, 422),
)
async def clients_rotate_secret(
    response: Response,
    uow: Uow,
    settings: SettingsDep,
    caller: Admin,
    client_id: ClientId,
    body: Annotated[SecretRotation, Body(default_factory=SecretRotation)],
) -> ClientSecretPublic:
    """Give an API client a new secret (admins), shown once; the old one keeps working
    for an overlap.

    The previous secret is accepted until `old_secret_valid_until` (default: 24 hours,
    CLIENT_SECRET_OVERLAP_HOURS; a time not later than now ends it at once), so the
    partner can deploy the new one without a gap. A secret older than the previous one is
    dropped. A revoked client is a 409. Tokens already issued stay valid until they expire.
    """
    issued = await uc.rotate_client_secret(
        uow,
        actor=caller,
        client_id=client_id,
        old_valid_until=body.old_secret_valid_until,
        default_overlap=settings.client_secret_overlap(),
    )
    response.headers.update(NO_STORE)
    return ClientSecretPublic.of(issued)


@router.post(
    "/{client_id}/revoke",
    response_model=ClientPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def clients_revoke(uow: Uow, caller: Admin, client_id: ClientId) -> ClientPublic:
    """Revoke an API client for good (admins): it gets no new token, and the tokens it
    holds are refused from the next request on (401).

    Revoking a revoked client changes nothing (200).
    """
    return ClientPublic.of(await uc.revoke_client(uow, actor=caller, client_id=client_id))
