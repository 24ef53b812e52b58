"""Use cases of API clients: admins register, rotate and revoke them; clients exchange
their credentials for access tokens (the api layer signs the token).

Failed client authentications are throttled exactly like failed sign-ins, in the same
table (`login_throttles`, keyed by a keyed hash of `client:<client_id>`): after
`LoginPolicy.max_failures` in a row the client id is locked for `LoginPolicy.lockout`
(429 with Retry-After), whether the id exists or not. Audit details hold ids, agency
codes, scopes and reasons: never a secret, a token, or a client id someone made up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain import policy
from domain.accounts.model import LoginPolicy
from domain.agencies.model import normalize_agency_code
from domain.audit.model import ANONYMOUS, AuditAction, AuditActor, DetailValue
from domain.clients.errors import (
    ClientLocked,
    ClientNotFound,
    ClientRevoked,
    InvalidClient,
    InvalidScope,
)
from domain.clients.model import (
    SECRET_MAX_LENGTH,
    ApiClient,
    format_scopes,
    new_secret,
    parse_scopes,
)
from domain.clients.ports import ClientsUnitOfWork
from domain.errors import InvalidInput
from domain.pagination import Cursor, Page, PageRequest, paginate
from domain.policy import Action, ClientScope, Principal

ENTITY = "client"
#: Longest client id looked at (a UUID is 36 characters); longer is simply wrong.
_CLIENT_ID_MAX = 64


@dataclass(frozen=True, slots=True)
class IssuedSecret:
    """A client with its new secret: shown once, in this answer only."""

    client: ApiClient
    secret: str


@dataclass(frozen=True, slots=True)
class ClientGrant:
    """A successful client authentication: who, and the scopes its token carries."""

    client: ApiClient
    scopes: frozenset[ClientScope]

    def principal(self) -> Principal:
        return self.client.principal(self.scopes)


def _scope_details(scopes: frozenset[ClientScope]) -> list[DetailValue]:
    return list[DetailValue](format_scopes(scopes).split())


async def register_client(
    uow: ClientsUnitOfWork,
    *,
    actor: Principal | None,
    name: str,
    agency_code: str,
    scopes: Iterable[str],
) -> IssuedSecret:
    """Register a client for an active agency with some scopes (admins); the secret is
    in this answer only."""
    policy.require(actor, Action.CLIENT_MANAGE)
    code = normalize_agency_code(agency_code)
    agency = await uow.agencies.get(code)
    if agency is None or not agency.is_active:
        raise InvalidInput(f"No active partner agency has the code '{code}'.")
    secret = new_secret()
    client = ApiClient.new(
        name=name,
        agency_code=agency.code,
        scopes=parse_scopes(scopes),
        secret_hash=uow.clients.secret_digest(secret),
        actor=actor,
        at=uow.clock.now(),
    )
    await uow.clients.add(client)
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.CLIENT_REGISTERED,
        entity_type=ENTITY,
        entity_id=client.id,
        details={"agency_code": client.agency_code, "scopes": _scope_details(client.scopes)},
    )
    await uow.commit()
    return IssuedSecret(client, secret)


async def list_clients(
    uow: ClientsUnitOfWork,
    *,
    actor: Principal | None,
    agency_code: str | None = None,
    active: bool | None = None,
    page: PageRequest[Cursor],
) -> Page[ApiClient]:
    policy.require(actor, Action.CLIENT_MANAGE)
    code = normalize_agency_code(agency_code) if agency_code else None
    rows = await uow.clients.list(agency_code=code, active=active, page=page)
    return paginate(rows, page, key=lambda c: Cursor(at=c.created_at, id=c.id))


async def get_client(
    uow: ClientsUnitOfWork, *, actor: Principal | None, client_id: UUID
) -> ApiClient:
    policy.require(actor, Action.CLIENT_MANAGE)
    client = await uow.clients.get(client_id)
    if client is None:
        raise ClientNotFound(client_id)
    return client


async def rotate_client_secret(
    uow: ClientsUnitOfWork,
    *,
    actor: Principal | None,
    client_id: UUID,
    old_valid_until: datetime | None,
    default_overlap: timedelta,
) -> IssuedSecret:
    """A new secret (shown once); the old one keeps working until `old_valid_until`
    (default: now + `default_overlap`; a time not later than now ends it at once)."""
    policy.require(actor, Action.CLIENT_MANAGE)
    client = await uow.clients.get(client_id, for_update=True)
    if client is None:
        raise ClientNotFound(client_id)
    if not client.is_active:
        raise ClientRevoked()
    now = uow.clock.now()
    until = old_valid_until if old_valid_until is not None else now + default_overlap
    secret = new_secret()
    client.rotate(uow.clients.secret_digest(secret), now=now, old_valid_until=until)
    await uow.clients.save(client)
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.CLIENT_SECRET_ROTATED,
        entity_type=ENTITY,
        entity_id=client.id,
        details={
            "agency_code": client.agency_code,
            "overlap_until": client.previous_secret_expires_at.isoformat()
            if client.previous_secret_expires_at
            else None,
        },
    )
    await uow.commit()
    return IssuedSecret(client, secret)


async def revoke_client(
    uow: ClientsUnitOfWork, *, actor: Principal | None, client_id: UUID
) -> ApiClient:
    """Revoke for good (admins): no new token, and its live tokens are refused at once.
    Revoking a revoked client changes nothing."""
    policy.require(actor, Action.CLIENT_MANAGE)
    client = await uow.clients.get(client_id, for_update=True)
    if client is None:
        raise ClientNotFound(client_id)
    if not client.revoke(uow.clock.now()):
        return client
    await uow.clients.save(client)
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.CLIENT_REVOKED,
        entity_type=ENTITY,
        entity_id=client.id,
        details={"agency_code": client.agency_code},
    )
    await uow.commit()
    return client


def _parse_client_id(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None


async def authenticate_client(
    uow: ClientsUnitOfWork,
    *,
    client_id: str,
    client_secret: str,
    scope: str | None,
    rules: LoginPolicy,
) -> ClientGrant:
    """The client credentials grant: check the id and secret (current, or previous during
    a rotation's overlap) and narrow the scopes to `scope` when given.

    Every failure is the same InvalidClient (401), counted and audited (committed before
    the error); `rules.max_failures` in a row lock the client id for `rules.lockout`
    (ClientLocked, 429), even for the right secret. A scope the client does not hold is
    an InvalidScope (422) after a successful authentication.
    """
    raw_id = client_id.strip().lower()[:_CLIENT_ID_MAX]
    throttle_key = f"client:{raw_id}"
    parsed = _parse_client_id(raw_id)
    client = await uow.clients.get(parsed) if parsed is not None else None
    now = uow.clock.now()

    async def fail(reason: str) -> None:
        await uow.audit.record(
            client.actor() if client else ANONYMOUS,
            AuditAction.AUTH_CLIENT_FAILED,
            entity_type=ENTITY if client else None,
            entity_id=client.id if client else None,
            details={"reason": reason},
        )

    throttle = await uow.login_throttles.get_for_update(throttle_key)
    locked_for = throttle.locked_for(now)
    if locked_for:
        await fail("locked")
        await uow.commit()
        raise ClientLocked(locked_for)

    which = None
    if client is not None and client.is_active and len(client_secret) <= SECRET_MAX_LENGTH:
        which = client.accepts(uow.clients.secret_digest(client_secret), now)
    if client is None or which is None:
        throttle.failures += 1
        locks = throttle.failures >= rules.max_failures
        if locks:
            throttle.failures, throttle.locked_until = 0, now + rules.lockout
        await uow.login_throttles.save(throttle_key, throttle)
        await fail(
            "unknown_client"
            if client is None
            else "revoked"
            if not client.is_active
            else "wrong_credential"
        )
        await uow.commit()
        if locks:
            raise ClientLocked(int(rules.lockout.total_seconds()))
        raise InvalidClient()

    try:
        scopes = client.scopes if scope is None else parse_scopes(scope)
    except InvalidInput as exc:
        raise InvalidScope(exc.detail) from None
    if not scopes:
        scopes = client.scopes
    if not scopes <= client.scopes:
        missing = format_scopes(scopes - client.scopes)
        raise InvalidScope(f"This client does not hold the scope(s) {missing}.")

    if throttle.failures:
        throttle.failures, throttle.locked_until = 0, None
        await uow.login_throttles.save(throttle_key, throttle)
    client.last_authenticated_at = now
    await uow.clients.save(client)
    await uow.audit.record(
        client.actor(),
        AuditAction.AUTH_CLIENT_TOKEN_ISSUED,
        entity_type=ENTITY,
        entity_id=client.id,
        details={
            "agency_code": client.agency_code,
            "scopes": _scope_details(scopes),
            "credential": which,
        },
    )
    await uow.commit()
    return ClientGrant(client, scopes)
