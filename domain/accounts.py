"""Accounts: the people (and partner systems) who sign in.

An account has one role; provincial roles carry a province code. Accounts are never
deleted, only deactivated.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.errors import Conflict, InvalidInput, NotFound
from domain.policy import PROVINCIAL_ROLES, Principal, Role

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def normalize_username(raw: str) -> str:
    """Usernames are case-insensitive: stored and compared in lower case."""
    username = raw.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            "A username is 3-64 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return username


@dataclass(slots=True)
class Account:
    id: UUID
    username: str
    display_name: str
    role: Role
    password_hash: str | None
    created_at: datetime
    updated_at: datetime
    email: str | None = None
    province_code: str | None = None
    agency_code: str | None = None
    is_active: bool = True
    must_change_password: bool = False
    last_login_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    version: int = 1

    @classmethod
    def new(
        cls,
        *,
        username: str,
        display_name: str,
        role: Role,
        password_hash: str | None,
        now: datetime,
        email: str | None = None,
        province_code: str | None = None,
        agency_code: str | None = None,
        must_change_password: bool = False,
    ) -> Account:
        account = cls(
            id=uuid.uuid4(),
            username=normalize_username(username),
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
            email=email,
            province_code=province_code,
            agency_code=agency_code,
            must_change_password=must_change_password,
        )
        account.check_scope()
        return account

    def check_scope(self) -> None:
        """Provincial roles need a province; partner accounts need an agency."""
        if self.role in PROVINCIAL_ROLES and not self.province_code:
            raise InvalidInput(f"The role '{self.role}' needs a province_code.")
        if self.role not in PROVINCIAL_ROLES and self.province_code:
            raise InvalidInput(f"The role '{self.role}' is not bound to a province.")
        if self.role is Role.PARTNER and not self.agency_code:
            raise InvalidInput("The role 'partner' needs an agency_code.")

    def principal(self) -> Principal:
        return Principal(
            account_id=self.id,
            role=self.role,
            province_code=self.province_code,
            agency_code=self.agency_code,
        )


class AccountNotFound(NotFound):
    def __init__(self, account_id: object) -> None:
        super().__init__(f"No account with id '{account_id}'.")


class AccountRepository(Protocol):
    async def add(self, account: Account) -> None:
        """Insert; raise UsernameTaken when the username exists (any case)."""
        ...

    async def get(self, account_id: UUID) -> Account | None: ...

    async def get_by_username(self, username: str) -> Account | None: ...

    async def save(self, account: Account) -> None:
        """Write every field of an existing account back."""
        ...

    async def count(self) -> int: ...


class UsernameTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("That username is already taken.")
