"""Account management (admin; central officers may read) and the caller's own account."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import ConfigDict, Field, model_validator

from api.deps import Hasher, Rules, Uow, requires
from api.problems import problem_responses
from api.schemas import ApiModel
from domain.accounts.model import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, Account
from domain.accounts.use_cases import (
    UNSET,
    AccountChanges,
    change_own_password,
    create_account,
    get_account,
    get_own_account,
    list_accounts,
    reset_password,
    update_account,
)
from domain.policy import Action, Principal, Role

router = APIRouter(prefix="/api/v1/users", tags=["users"])
me_router = APIRouter(prefix="/api/v1/me", tags=["me"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ProvinceCode = Annotated[
    str | None,
    Field(
        default=None,
        max_length=5,
        description='Two-digit province code ("40") or "TH-40"; required for '
        "provincial_officer and volunteer, refused for other roles",
        examples=["40"],
    ),
]
Password = Annotated[
    str,
    Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        json_schema_extra={"format": "password"},
        description=f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters",
    ),
]
AccountId = Annotated[UUID, Path(description="The account's id")]


class UserPublic(ApiModel):
    """An account as the API shows it (never the password hash)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b9a3f0e-6a8c-4a8e-9d3b-0d6c1f7f6a11",
                    "username": "somchai.k",
                    "display_name": "สมชาย ก.",
                    "email": "somchai@example.go.th",
                    "role": "provincial_officer",
                    "province_code": "40",
                    "agency_code": None,
                    "is_active": True,
                    "must_change_password": False,
                    "locked_until": None,
                    "last_login_at": "2026-11-25T08:15:00Z",
                    "created_at": "2026-11-20T02:00:00Z",
                    "updated_at": "2026-11-20T02:00:00Z",
                }
            ]
        }
    )

    id: UUID
    username: str
    display_name: str
    email: str | None
    role: Role
    province_code: str | None
    agency_code: str | None
    is_active: bool
    must_change_password: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, account: Account) -> UserPublic:
        return cls(
            id=account.id,
            username=account.username,
            display_name=account.display_name,
            email=account.email,
            role=account.role,
            province_code=account.province_code,
            agency_code=account.agency_code,
            is_active=account.is_active,
            must_change_password=account.must_change_password,
            locked_until=account.locked_until,
            last_login_at=account.last_login_at,
            created_at=account.created_at,
            updated_at=account.updated_at,
        )


class UserCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "somchai.k",
                    "password": "correct horse battery staple",
                    "display_name": "สมชาย ก.",
                    "role": "provincial_officer",
                    "email": "somchai@example.go.th",
                    "province_code": "40",
                }
            ]
        }
    )

    username: str = Field(
        min_length=3,
        max_length=64,
        description="3-64 characters: letters, digits, '.', '_', '-'; case-insensitive",
    )
    password: Password
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    province_code: ProvinceCode = None
    agency_code: str | None = Field(
        default=None, min_length=1, max_length=32, description="Partner agency (partner role)"
    )


class UserUpdate(ApiModel):
    """Only the fields sent are changed; `null` clears email, province_code, agency_code."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"role": "central_officer", "province_code": None}]}
    )

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    role: Role | None = None
    province_code: ProvinceCode = None
    agency_code: str | None = Field(default=None, min_length=1, max_length=32)
    is_active: bool | None = Field(
        default=None, description="false deactivates (accounts are never deleted)"
    )

    @model_validator(mode="after")
    def _not_null(self) -> UserUpdate:
        for name in ("display_name", "role", "is_active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> AccountChanges:
        sent: dict[str, Any] = {name: getattr(self, name) for name in self.model_fields_set}
        return AccountChanges(
            display_name=sent.get("display_name", UNSET),
            email=sent.get("email", UNSET),
            role=sent.get("role", UNSET),
            province_code=sent.get("province_code", UNSET),
            agency_code=sent.get("agency_code", UNSET),
            is_active=sent.get("is_active", UNSET),
        )


class UserList(ApiModel):
    items: list[UserPublic]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )


class TemporaryPassword(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"temporary_password": "pX3t0p9xq2Vv7bZs1nKc4mQe", "must_change_password": True}
            ]
        }
    )

    temporary_password: str = Field(
        description="Shown once; the account must change it at its next sign-in"
    )
    must_change_password: bool = True


class PasswordChange(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current_password": "pX3t0p9xq2Vv7bZs1nKc4mQe",
                    "new_password": "a long passphrase of my own",
                }
            ]
        }
    )

    current_password: str = Field(
        min_length=1, max_length=PASSWORD_MAX_LENGTH, json_schema_extra={"format": "password"}
    )
    new_password: Password


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
    """Create an account (admin)."""
    account = await create_account(
        uow,
        hasher,
        actor=caller,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        role=body.role,
        email=body.email,
        province_code=body.province_code,
        agency_code=body.agency_code,
    )
    return UserPublic.of(account)


@router.get("", response_model=UserList, responses=problem_responses(401, 403, 422))
async def users_list(
    uow: Uow,
    caller: Annotated[Principal, requires(Action.USER_LIST)],
    role: Annotated[Role | None, Query(description="Only accounts of this role")] = None,
    province_code: Annotated[
        str | None, Query(max_length=5, description="Only accounts of this province")
    ] = None,
    is_active: Annotated[bool | None, Query(description="Only (in)active accounts")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="From next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size")] = 50,
) -> UserList:
    """List accounts, newest first (admin, central officer)."""
    page = await list_accounts(
        uow,
        actor=caller,
        limit=limit,
        cursor=cursor,
        role=role,
        province_code=province_code,
        is_active=is_active,
    )
    return UserList(items=[UserPublic.of(a) for a in page.items], next_cursor=page.next_cursor)


@router.get(
    "/{account_id}", response_model=UserPublic, responses=problem_responses(401, 403, 404, 422)
)
async def users_get(
    uow: Uow,
    caller: Annotated[Principal, requires(Action.USER_READ)],
    account_id: AccountId,
) -> UserPublic:
    """Get one account (admin, central officer)."""
    return UserPublic.of(await get_account(uow, actor=caller, account_id=account_id))


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

    Deactivating, or changing the role, province or agency, ends the account's sessions
    at once: its refresh tokens are revoked and its access tokens are refused.
    """
    account = await update_account(uow, actor=caller, account_id=account_id, changes=body.changes())
    return UserPublic.of(account)


@router.post(
    "/{account_id}/reset-password",
    response_model=TemporaryPassword,
    responses=problem_responses(401, 403, 404, 422),
)
async def users_reset_password(
    response: Response,
    uow: Uow,
    hasher: Hasher,
    caller: Annotated[Principal, requires(Action.USER_RESET_PASSWORD)],
    account_id: AccountId,
) -> TemporaryPassword:
    """Reset an account's password to a one-time temporary password (admin).

    Until the account changes it (POST /api/v1/me/password), only /api/v1/me,
    /api/v1/me/password and /api/v1/auth/* work for it; other routes answer 403.
    """
    _, temporary = await reset_password(uow, hasher, actor=caller, account_id=account_id)
    response.headers.update(NO_STORE)
    return TemporaryPassword(temporary_password=temporary)


@me_router.get("", response_model=UserPublic, responses=problem_responses(401))
async def me_get(uow: Uow, caller: Annotated[Principal, requires(Action.ME_READ)]) -> UserPublic:
    """The caller's own account."""
    return UserPublic.of(await get_own_account(uow, actor=caller))


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

    Ends every session of the account: refresh tokens are revoked, so other devices
    must sign in again.
    """
    await change_own_password(
        uow,
        hasher,
        actor=caller,
        current_password=body.current_password,
        new_password=body.new_password,
        rules=rules,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
