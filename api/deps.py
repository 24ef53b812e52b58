"""Dependency wiring: the unit of work, the caller, and the access rule each route declares.

Every route declares exactly one `requires(Action...)`; a test walks the app and fails
on a route without one. The dependency performs the role-level check of the policy;
record-level checks (province, ownership) happen in the use case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Request, params
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer

from api.ratelimit import Budget
from api.services import Services, service_value
from auth.tokens import InvalidToken, decode_access_token
from domain import policy
from domain.accounts.model import LoginPolicy
from domain.accounts.ports import PasswordHasher
from domain.errors import NotAuthenticated
from domain.policy import Action, Principal
from domain.uow import UnitOfWork
from persistence.uow import SqlUnitOfWork

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    auto_error=False,
    description="OAuth2 password flow: POST username and password to /api/v1/auth/token.",
)

#: The scheme API clients (partner systems) sign in with; documented next to the bearer
#: scheme by api/openapi.py. Their tokens are sent the same way (`Authorization: Bearer`).
CLIENT_CREDENTIALS_SCHEME = "OAuth2ClientCredentials"


def open_uow(request: Request) -> SqlUnitOfWork:
    """A unit of work for this request (entered by the caller): the one place it is built.
    The services come straight from the app, not as a sub-dependency: each dependency
    FastAPI solves costs time on every request (issue 10)."""
    services: Services = request.app.state.services
    return SqlUnitOfWork(
        services.database.sessions(),
        clock=services.clock,
        request_id=request.state.request_id,
        keyring=services.keyring,
        province_cache=services.province_cache,
    )


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    async with open_uow(request) as uow:
        yield uow


#: Ended (closed, which rolls back what was not committed) as soon as the route function
#: returns, before the response is sent (`scope="function"`): with FastAPI's default the
#: session, its pooled connection and any read transaction were held while the response
#: was written to the client, and under load requests queued for the pool behind them
#: (a streamed body opens its own unit of work: `OpenUow`).
Uow = Annotated[UnitOfWork, Depends(get_uow, scope="function")]

UowFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


async def get_uow_factory(request: Request) -> UowFactory:
    """Opens units of work of its own: for work that outlives the request-scoped one,
    such as the body of a streamed response (sent after the route has returned)."""
    return lambda: open_uow(request)


OpenUow = Annotated[UowFactory, Depends(get_uow_factory)]


get_password_hasher = service_value(lambda services: services.password_hasher)
get_login_policy = service_value(lambda services: services.login_policy)


Hasher = Annotated[PasswordHasher, Depends(get_password_hasher)]
Rules = Annotated[LoginPolicy, Depends(get_login_policy)]


async def optional_principal(
    services: Services, uow: UnitOfWork, token: str | None
) -> Principal | None:
    """The verified caller, or None when no token was sent. A bad token is a 401.

    Besides the signature and claims, the account is looked up (one read, with its
    session): a token is refused at once, rather than when it expires, when the account
    is deactivated, its role, province or agency changed, its token version moved on
    (password changed or reset, deactivated, scope changed: `Account.revoke_tokens`), or
    the token's sign-in session was ended. The same holds for an API client (revoked,
    agency changed, a scope withdrawn), whose every request also counts against its quota
    (`Budget.CLIENT_REQUEST`, 429 with Retry-After).
    """
    if token is None:
        return None
    try:
        claimed = decode_access_token(services.token_config, token)
    except InvalidToken as exc:
        raise NotAuthenticated("The access token is invalid or expired.") from exc
    if claimed.is_client:
        return await _client_principal(services, uow, claimed)
    account = await uow.accounts.get_signed_in(claimed.account_id, claimed.session_id)
    if account is None or not account.matches(claimed):
        raise NotAuthenticated(
            "The access token is no longer valid for this account: sign in again."
        )
    return replace(account.principal(), session_id=claimed.session_id)


async def _client_principal(services: Services, uow: UnitOfWork, claimed: Principal) -> Principal:
    client = await uow.clients.get(claimed.account_id)
    if client is None or not client.matches(claimed):
        raise NotAuthenticated(
            "The access token is no longer valid for this API client: request a new one."
        )
    rate_limits = services.rate_limits
    await rate_limits.hit(Budget.CLIENT_REQUEST, rate_limits.api_client_key(client.id))
    return claimed


#: Actions whose request carries its own credential (password, refresh token): an
#: Authorization header is ignored there, so a client that sends its expired access
#: token with every request can still refresh or sign in again.
OWN_CREDENTIAL_ACTIONS = frozenset(
    {
        Action.AUTH_TOKEN,
        Action.AUTH_REFRESH,
        Action.AUTH_LOGOUT,
        Action.VOLUNTEER_ACTIVATE,  # the activation code is the credential
    }
)


class Requires:
    """A route's declared access rule: the policy's role-level check for one action."""

    def __init__(self, action: Action) -> None:
        self.action = action

    async def __call__(
        self, request: Request, uow: Uow, token: Annotated[str | None, Depends(oauth2_scheme)]
    ) -> Principal | None:
        return await self.check(request, uow, token)

    async def check(self, request: Request, uow: UnitOfWork, token: str | None) -> Principal | None:
        """The check itself: for FastAPI's solving above and for planned routes
        (api/planning.py), which call it with the same unit of work and token."""
        principal = None
        if self.action not in OWN_CREDENTIAL_ACTIONS:
            services: Services = request.app.state.services
            principal = await optional_principal(services, uow, token)
        policy.require(principal, self.action)
        await refuse_nul_characters(request)  # after the access check, like the body's
        return principal


def requires(action: Action) -> Any:
    """`caller: Annotated[Principal | None, requires(Action.X)]` in a route signature."""
    return Depends(Requires(action))


def _nul_locations(value: Any, at: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """Where strings (values or keys) hold a NUL. A loop, not recursion: JSON nested as
    deep as the parser allows must not exhaust the stack here."""
    found: list[tuple[str | int, ...]] = []
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(value, at)]
    while pending:
        item, loc = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                found.append(loc)
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    found.append(loc)
                pending.append((child, (*loc, key)))
        elif isinstance(item, list):
            pending.extend((child, (*loc, i)) for i, child in enumerate(item))
    return sorted(found, key=str)


async def refuse_nul_characters(request: Request) -> None:
    """A 422 for a NUL character (U+0000) anywhere in a JSON body or the query string.

    PostgreSQL's text cannot hold it (a 22021 error), and sealed fields would store it
    only to break exports and other systems later: text with NUL is refused up front, as
    a `validation-error` naming where it is. The JSON body was already parsed by FastAPI
    (Starlette caches it on the request): this walks it, nothing more.
    """
    found: list[tuple[str | int, ...]] = [
        ("query", name)
        for name, value in request.query_params.multi_items()
        if "\x00" in value or "\x00" in name
    ]
    route = request.scope.get("route")
    body_field = route.body_field if isinstance(route, APIRoute) else None
    if body_field is not None and not isinstance(body_field.field_info, params.Form):
        try:  # parsed (and cached) already when the route read it as JSON
            body = await request.json() if await request.body() else None
        except (ValueError, RecursionError):  # not JSON: the body's own validation says so
            body = None
        found += _nul_locations(body, ("body",))
    if found:
        raise RequestValidationError(
            [
                {
                    "type": "nul_character",
                    "loc": loc,
                    "msg": "Text may not contain the NUL character (U+0000)",
                    "input": None,
                }
                for loc in found
            ]
        )


def declared_action(dependant: Dependant) -> Action | None:
    """The action of the route's `requires(Action.X)`."""
    for sub in dependant.dependencies:
        if isinstance(sub.call, Requires):
            return sub.call.action
        found = declared_action(sub)
        if found is not None:
            return found
    return None


async def authenticate_before_body(request: Request) -> None:
    """The route's access check, for a request whose body could not be parsed.

    FastAPI parses a JSON body before it runs any dependency, so a malformed body would
    be answered 400/422 before `requires(...)` had a chance to answer 401/403: an
    anonymous caller could probe protected operations' bodies. The error handlers of
    body-parsing errors call this first (api/errors.py); it raises `NotAuthenticated` or
    `Forbidden` as the route's own check would, and returns when the caller may go on
    to hear about their body. Only the error path pays for it.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    action = declared_action(route.dependant)
    if action is None or action in OWN_CREDENTIAL_ACTIONS:
        return
    token = await oauth2_scheme(request)
    if token is None:
        policy.require(None, action)
        return
    services: Services = request.app.state.services
    async with open_uow(request) as uow:
        policy.require(await optional_principal(services, uow, token), action)
