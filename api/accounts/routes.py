"""Account management (admin; central officers may read) and the caller's own account."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response, status

from api.accounts.schemas import (
    PasswordChange,
    TemporaryPassword,
    UserCreate,
    UserPage,
    UserPublic,
    UserUpdate,
)
from api.deps import Hasher, Rules, Uow, requires
from api.headers import Header, with_headers
from api.pagination import Paging
from api.planning import PlannedRoute
from api.problems import problem_responses
from domain.accounts.use_cases import (
    change_own_password,
    create_account,
    get_account,
    get_own_account,
    list_accounts,
    reset_password,
    update_account,
)
from domain.policy import Action, Principal, Role

router = APIRouter(prefix="/api/v1/users", tags=["users"], route_class=PlannedRoute)
me_router = APIRouter(prefix="/api/v1/me", tags=["me"], route_class=PlannedRoute)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CACHE_CONTROL: Header = (
    "Cache-Control",
    {"description": "`no-store`: the response carries a secret", "schema": {"type": "string"}},
)
AccountId = Annotated[UUID, Path(description="The account's id")]


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def users_create(
    uow: Uow,
    hasher: Hasher,
    caller: Annotated[Principal, requires(Action.USER_CREATE)],
    body: UserCreate,
) -> UserPublic:
    """Create an account (admin).

    The account signs in with the password given here. Provincial roles need a
    `province_code`, partners an `agency_code`; the username is unique whatever its case
    (409). Volunteer accounts are created by approving a volunteer, never here (409).
    """
    account = await create_account(uow, hasher, actor=caller, **body.model_dump())
    return UserPublic.model_validate(account)


@router.get("", response_model=UserPage, responses=problem_responses(401, 403, 422))
async def users_list(
    uow: Uow,
    caller: Annotated[Principal, requires(Action.USER_LIST)],
    paging: Paging,
    role: Annotated[Role | None, Query(description="Only accounts of this role")] = None,
    province_code: Annotated[
        str | None, Query(max_length=5, description="Only accounts of this province")
    ] = None,
    is_active: Annotated[bool | None, Query(description="Only (in)active accounts")] = None,
) -> UserPage:
    """List accounts, newest first (admin, central officer).

    Filters combine (all must match); pages are keyset pages: pass `next_cursor` as
    `cursor` until it is null. An unknown province code or a bad cursor is a 422.
    """
    page = await list_accounts(
        uow,
        actor=caller,
        page=paging.by_time(),
        role=role,
        province_code=province_code,
        is_active=is_active,
    )
    return UserPage.of(page, UserPublic.model_validate)


@router.get(
    "/{account_id}", response_model=UserPublic, responses=problem_responses(401, 403, 404, 422)
)
async def users_get(
    uow: Uow,
    caller: Annotated[Principal, requires(Action.USER_READ)],
    account_id: AccountId,
) -> UserPublic:
    """Get one account (admin, central officer).

    Any account, including deactivated ones; an unknown id is a 404.
    """
    return UserPublic.model_validate(await get_account(uow, actor=caller, account_id=account_id))


@router.patch(
    "/{account_id}",
    response_model=UserPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def users_update(
    uow: Uow,
    caller: Annotated[Principal, requires(Action.USER_UPDATE)],
    account_id: AccountId,
    body: UserUpdate,
) -> UserPublic:
    """Change an account: name, email, role, province, agency, active (admin).

    Only the fields sent change. Deactivating, or changing the role, province or agency,
    ends the account's sessions at once: its refresh tokens are revoked and every access
    token issued before is refused, also after a later reactivation. An admin cannot
    deactivate or demote themselves, and a volunteer account's role, province and active
    flag follow the volunteer registry (409 both).
    """
    account = await update_account(uow, actor=caller, account_id=account_id, changes=body.changes())
    return UserPublic.model_validate(account)


@router.post(
    "/{account_id}/reset-password",
    response_model=TemporaryPassword,
    responses={**with_headers(200, CACHE_CONTROL), **problem_responses(401, 403, 404, 422)},
)
async def users_reset_password(
    response: Response,
    uow: Uow,
    hasher: Hasher,
    caller: Annotated[Principal, requires(Action.USER_RESET_PASSWORD)],
    account_id: AccountId,
) -> TemporaryPassword:
    """Reset an account's password to a one-time temporary password (admin).

    The account's sessions end (refresh tokens revoked, every access token issued before
    refused at once) and a lockout is lifted. Until the account changes the
    password (POST /api/v1/me/password), only /api/v1/me, /api/v1/me/password and
    /api/v1/auth/* work for it; other routes answer 403.
    """
    _, temporary = await reset_password(uow, hasher, actor=caller, account_id=account_id)
    response.headers.update(NO_STORE)
    return TemporaryPassword(temporary_password=temporary)


@me_router.get("", response_model=UserPublic, responses=problem_responses(401))
async def me_get(uow: Uow, caller: Annotated[Principal, requires(Action.ME_READ)]) -> UserPublic:
    """The caller's own account.

    Any signed-in caller, also one who must change a temporary password first
    (`must_change_password`).
    """
    return UserPublic.model_validate(await get_own_account(uow, actor=caller))


@me_router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 422, 429),
)
async def me_change_password(
    uow: Uow,
    hasher: Hasher,
    rules: Rules,
    caller: Annotated[Principal, requires(Action.ME_PASSWORD_CHANGE)],
    body: PasswordChange,
) -> Response:
    """Change the caller's password (the current one is required).

    Any signed-in caller. Ends every session of the account, this one included: refresh
    tokens are revoked and every access token issued before (the one sending this request
    too) is refused from the next request on, so every device signs in again with the new
    password. A wrong current password is a 422 and counts as a failed sign-in: 5 in a row
    lock the account (429 with Retry-After).
    """
    await change_own_password(uow, hasher, actor=caller, rules=rules, **body.model_dump())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
