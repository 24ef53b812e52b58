"""Signing in: the OAuth2 password flow, the client credentials grant of API clients,
refresh-token rotation and logout.

These routes carry their own credential (a password or a refresh token) and ignore any
Authorization header (api/deps.py OWN_CREDENTIAL_ACTIONS): their 401s are about that
credential, never about an access token.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import unquote_plus
from uuid import UUID

from fastapi import APIRouter, Form, Path, Request, Response, status
from fastapi.exceptions import RequestValidationError

from api.deps import Hasher, Rules, Uow, requires
from api.headers import Header, with_headers
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.services import Services, Svc
from api.sessions.schemas import (
    RefreshRequest,
    SessionList,
    SessionPublic,
    TokenPublic,
    TokenRequest,
)
from auth.tokens import issue_access_token, issue_client_token
from domain.clients.errors import InvalidClient
from domain.clients.use_cases import authenticate_client
from domain.errors import InvalidInput
from domain.policy import Action, Principal
from domain.sessions.use_cases import (
    SignedIn,
    end_account_session,
    end_all_account_sessions,
    end_own_session,
    list_account_sessions,
    list_own_sessions,
    login,
    logout,
    refresh,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], route_class=PlannedRoute)

#: RFC 6749 section 5.1: responses carrying tokens must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CACHE_CONTROL: Header = (
    "Cache-Control",
    {"description": "`no-store`: the response carries secrets", "schema": {"type": "string"}},
)
PRAGMA: Header = ("Pragma", {"description": "`no-cache`", "schema": {"type": "string"}})


def described(status_code: int, description: str) -> dict[int | str, dict[str, Any]]:
    """The problem response of one status, with what it means on this route."""
    responses = problem_responses(status_code)
    responses[status_code]["description"] = description
    return responses


def _tokens(services: Services, response: Response, signed_in: SignedIn) -> TokenPublic:
    # PyJWT checks exp/nbf/iat against the system clock, so tokens are stamped with it.
    config = services.token_config
    principal = replace(signed_in.account.principal(), session_id=signed_in.session_id)
    now = datetime.now(UTC)
    access = issue_access_token(config, principal, now=now, not_after=signed_in.session_expires_at)
    response.headers.update(NO_STORE)
    return TokenPublic.of(signed_in, access, now)


def _missing(*names: str) -> RequestValidationError:
    """The 422 pydantic would give for required form fields (one shape for both grants)."""
    return RequestValidationError(
        [{"loc": ("body", name), "msg": "Field required", "type": "missing"} for name in names]
    )


def client_credentials(request: Request, form: TokenRequest) -> tuple[str, str]:
    """The client's id and secret: from `Authorization: Basic` (RFC 6749 section 2.3.1,
    each part form-urlencoded before base64) or from the form, never both (a 422)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        if form.client_secret is not None:
            raise InvalidInput(
                "Send the client credentials once: in the Authorization header (HTTP Basic) "
                "or in the form, not both."
            )
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidClient() from None
        raw_id, colon, raw_secret = decoded.partition(":")
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if not colon or not client_id or not secret or (form.client_id not in (None, client_id)):
            raise InvalidClient()
        return client_id, secret
    if form.client_id is None or form.client_secret is None:
        raise InvalidClient()
    return form.client_id, form.client_secret


@router.post(
    "/token",
    response_model=TokenPublic,
    response_model_exclude_none=True,
    responses={
        **with_headers(200, CACHE_CONTROL, PRAGMA),
        **described(
            401,
            "The username or password is wrong, or the account cannot sign in; for "
            "`client_credentials`: the client id or secret is wrong or missing, or the "
            "client was revoked (the same answer in every case; `invalid_client`)",
        ),
        **described(
            422,
            "The form is not valid (a field missing or too long, an unknown `grant_type`: "
            "`invalid_request`, `unsupported_grant_type`), or `scope` names a scope that "
            "does not exist or the client does not hold (`invalid_scope`)",
        ),
        **described(
            429,
            "Too many failed sign-ins under this username, or failed authentications "
            "of this client id: locked until Retry-After",
        ),
    },
)
async def auth_token(
    request: Request,
    services: Svc,
    response: Response,
    uow: Uow,
    hasher: Hasher,
    rules: Rules,
    _caller: Annotated[Principal | None, requires(Action.AUTH_TOKEN)],
    form: Annotated[TokenRequest, Form()],
) -> TokenPublic:
    """Get an access token: people with username and password, API clients with their
    client credentials (form body).

    Anyone may call it; a bearer Authorization header is ignored. `grant_type=password`
    (the default) returns a 15-minute access token and a refresh token. A wrong username
    and a wrong password get the same 401; 5 consecutive failures lock the username for
    15 minutes (429 with Retry-After), even for the right password. A password over 1024
    characters is a 422.

    `grant_type=client_credentials` (RFC 6749 section 4.4; API clients of partner
    agencies, docs/partners.md): the client id and secret in an `Authorization: Basic`
    header or in `client_id` and `client_secret`; `scope` may narrow the token to some of
    the client's scopes. Returns a 10-minute access token bound to the client, its agency
    and the granted `scope`, and no refresh token. Failures are counted per client id
    like sign-ins (5 in a row: 429 for 15 minutes).
    """
    if form.grant_type == "client_credentials":
        client_id, secret = client_credentials(request, form)
        grant = await authenticate_client(
            uow, client_id=client_id, client_secret=secret, scope=form.scope, rules=rules
        )
        ttl = services.settings.client_token_ttl()
        access = issue_client_token(
            services.token_config, grant.principal(), now=datetime.now(UTC), ttl=ttl
        )
        response.headers.update(NO_STORE)
        return TokenPublic.of_client(grant, access, ttl)
    missing = [name for name in ("username", "password") if getattr(form, name) is None]
    if form.username is None or form.password is None:
        raise _missing(*missing)
    signed_in = await login(
        uow, hasher, username=form.username, password=form.password, rules=rules
    )
    return _tokens(services, response, signed_in)


@router.post(
    "/refresh",
    response_model=TokenPublic,
    responses={
        **with_headers(200, CACHE_CONTROL, PRAGMA),
        **described(
            401,
            "The refresh token is unknown, expired, already used or revoked: sign in again",
        ),
        **problem_responses(422),
    },
)
async def auth_refresh(
    services: Svc,
    response: Response,
    uow: Uow,
    rules: Rules,
    _caller: Annotated[Principal | None, requires(Action.AUTH_REFRESH)],
    body: RefreshRequest,
) -> TokenPublic:
    """Exchange a refresh token for new tokens (the old refresh token stops working).

    Anyone holding a refresh token may call it; an Authorization header is ignored, so
    a client may send its expired access token along. Presenting a refresh token a
    second time revokes every token of its sign-in (the token was copied), and the
    caller must sign in again.
    """
    signed_in = await refresh(uow, refresh_token=body.refresh_token, rules=rules)
    return _tokens(services, response, signed_in)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(422))
async def auth_logout(
    uow: Uow,
    _caller: Annotated[Principal | None, requires(Action.AUTH_LOGOUT)],
    body: RefreshRequest,
) -> Response:
    """Sign out: revoke the refresh token and every token rotated from the same sign-in.

    Anyone holding a refresh token may call it; an Authorization header is ignored.
    Unknown or already revoked tokens are accepted silently (204). The access tokens of
    that sign-in are refused from the next request on (their `sid` names it).
    """
    await logout(uow, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- sessions: the caller's own, and an account's (admin) ---------------------------------

me_sessions_router = APIRouter(prefix="/api/v1/me/sessions", tags=["me"], route_class=PlannedRoute)
account_sessions_router = APIRouter(
    prefix="/api/v1/users/{account_id}/sessions", tags=["users"], route_class=PlannedRoute
)

AccountId = Annotated[UUID, Path(description="The account's id")]
SessionId = Annotated[UUID, Path(description="The session's id (`id` in the session list)")]


@me_sessions_router.get("", response_model=SessionList, responses=problem_responses(401, 403))
async def me_sessions_list(
    uow: Uow, rules: Rules, caller: Annotated[Principal, requires(Action.ME_SESSION_LIST)]
) -> SessionList:
    """The caller's live sessions (sign-ins), most recently used first.

    Any signed-in caller. `current` marks the session of the token sending the request.
    A session ends after SESSION_IDLE_MINUTES without a refresh and SESSION_MAX_HOURS
    after the sign-in in any case.
    """
    sessions = await list_own_sessions(uow, actor=caller, rules=rules)
    return SessionList(items=[SessionPublic.of(s, caller.session_id) for s in sessions])


@me_sessions_router.delete(
    "/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def me_sessions_end(
    uow: Uow,
    caller: Annotated[Principal, requires(Action.ME_SESSION_END)],
    session_id: SessionId,
) -> Response:
    """End one of the caller's sessions (sign out a lost device; the current one too).

    Its refresh token stops working and its access tokens are refused from the next
    request on. Another account's session, or one already ended, is a 404.
    """
    await end_own_session(uow, actor=caller, session_id=session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@account_sessions_router.get(
    "", response_model=SessionList, responses=problem_responses(401, 403, 404, 422)
)
async def users_sessions_list(
    uow: Uow,
    rules: Rules,
    caller: Annotated[Principal, requires(Action.USER_SESSION_LIST)],
    account_id: AccountId,
) -> SessionList:
    """An account's live sessions, most recently used first (admin).

    When each started and was last used, and when it ends; never its tokens. An unknown
    account is a 404. `current` is true only for the admin's own session.
    """
    sessions = await list_account_sessions(uow, actor=caller, account_id=account_id, rules=rules)
    return SessionList(items=[SessionPublic.of(s, caller.session_id) for s in sessions])


@account_sessions_router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def users_sessions_end_all(
    uow: Uow,
    caller: Annotated[Principal, requires(Action.USER_SESSION_END)],
    account_id: AccountId,
) -> Response:
    """End every session of an account (admin): a lost laptop, a suspected compromise.

    Every refresh token is revoked and every access token issued so far is refused from
    the next request on (the account's token version); the password stays.
    """
    await end_all_account_sessions(uow, actor=caller, account_id=account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@account_sessions_router.delete(
    "/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def users_sessions_end(
    uow: Uow,
    caller: Annotated[Principal, requires(Action.USER_SESSION_END)],
    account_id: AccountId,
    session_id: SessionId,
) -> Response:
    """End one session of an account (admin); its access tokens are refused at once.

    An unknown account, or a session that is not the account's or already ended, is a 404.
    """
    await end_account_session(uow, actor=caller, account_id=account_id, session_id=session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
