"""Dependency wiring: the unit of work, the caller, and the access rule each route declares.

Every route declares exactly one `requires(Action...)`; a test walks the app and fails
on a route without one. The dependency performs the role-level check of the policy;
record-level checks (province, ownership) happen in the use case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.services import Services, Svc
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


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    # The services straight from the app rather than as a sub-dependency: every request
    # solves this one, and each dependency FastAPI solves costs time (issue 10).
    services: Services = request.app.state.services
    async with SqlUnitOfWork(
        services.database.sessions(),
        clock=services.clock,
        request_id=request.state.request_id,
        keyring=services.keyring,
        province_cache=services.province_cache,
    ) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(get_uow)]

UowFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


async def get_uow_factory(request: Request, services: Svc) -> UowFactory:
    """Opens units of work of its own: for work that outlives the request-scoped one,
    such as the body of a streamed response (sent after the route has returned)."""
    request_id = request.state.request_id

    def open_uow() -> AbstractAsyncContextManager[UnitOfWork]:
        return SqlUnitOfWork(
            services.database.sessions(),
            clock=services.clock,
            request_id=request_id,
            keyring=services.keyring,
            province_cache=services.province_cache,
        )

    return open_uow


OpenUow = Annotated[UowFactory, Depends(get_uow_factory)]


async def get_password_hasher(services: Svc) -> PasswordHasher:
    return services.password_hasher


async def get_login_policy(services: Svc) -> LoginPolicy:
    return services.login_policy


Hasher = Annotated[PasswordHasher, Depends(get_password_hasher)]
Rules = Annotated[LoginPolicy, Depends(get_login_policy)]


async def optional_principal(
    services: Svc, uow: Uow, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal | None:
    """The verified caller, or None when no token was sent. A bad token is a 401.

    Besides the signature and claims, the account is looked up (one primary-key read):
    a deactivated account, or one whose role or province changed since the token was
    issued, is refused at once rather than when the token expires.
    """
    if token is None:
        return None
    try:
        claimed = decode_access_token(services.token_config, token)
    except InvalidToken as exc:
        raise NotAuthenticated("The access token is invalid or expired.") from exc
    account = await uow.accounts.get(claimed.account_id)
    if account is None or not account.matches(claimed):
        raise NotAuthenticated(
            "The access token is no longer valid for this account: sign in again."
        )
    return account.principal()


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
        principal = None
        if self.action not in OWN_CREDENTIAL_ACTIONS:
            services: Services = request.app.state.services
            principal = await optional_principal(services, uow, token)
        policy.require(principal, self.action)
        return principal


def requires(action: Action) -> Any:
    """`caller: Annotated[Principal | None, requires(Action.X)]` in a route signature."""
    return Depends(Requires(action))
