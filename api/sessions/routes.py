"""Signing in: the OAuth2 password flow, refresh-token rotation and logout.

These routes carry their own credential (a password or a refresh token) and ignore any
Authorization header (api/deps.py OWN_CREDENTIAL_ACTIONS): their 401s are about that
credential, never about an access token.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Path, Response, status

from api.deps import Hasher, Rules, Uow, requires
from api.headers import Header, with_headers
from api.problems import problem_responses
from api.services import Services, Svc
from api.sessions.schemas import (
    PasswordTokenRequest,
    RefreshRequest,
    SessionList,
    SessionPublic,
    TokenPublic,
)
from auth.tokens import issue_access_token
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

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

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


@router.post(
    "/token",
    response_model=TokenPublic,
    responses={
        **with_headers(200, CACHE_CONTROL, PRAGMA),
        **described(
            401,
            "The username or password is wrong, or the account cannot sign in "
            "(the same answer in every case)",
        ),
        **problem_responses(422),
        **described(
            429,
            "Too many failed sign-ins under this username: locked until Retry-After",
        ),
    },
)
async def auth_token(
    services: Svc,
    response: Response,
    uow: Uow,
    hasher: Hasher,
    rules: Rules,
    _caller: Annotated[Principal | None, requires(Action.AUTH_TOKEN)],
    form: Annotated[PasswordTokenRequest, Form()],
) -> TokenPublic:
    """Sign in with username and password (OAuth2 password flow, form body).

    Anyone may call it; an Authorization header is ignored. Returns a 15-minute access
    token and a refresh token. A wrong username and a wrong password get the same 401;
    5 consecutive failures lock the username for 15 minutes (429 with Retry-After), even
    for the right password. A password over 1024 characters is a 422.
    """
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

me_sessions_router = APIRouter(prefix="/api/v1/me/sessions", tags=["me"])
account_sessions_router = APIRouter(prefix="/api/v1/users/{account_id}/sessions", tags=["users"])

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
