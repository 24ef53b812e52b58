"""Accounts: what the use cases need from outside (repository, password hasher)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.accounts.model import Account
from domain.agencies.ports import AgencyRepository
from domain.audit.ports import AuditLog
from domain.pagination import Cursor, PageRequest
from domain.policy import Role
from domain.provinces.ports import ProvinceRepository
from domain.transaction import Transaction


class AccountRepository(Protocol):
    async def add(self, account: Account) -> None:
        """Insert; raise UsernameTaken when the username exists (any case)."""
        ...

    async def get(self, account_id: UUID) -> Account | None: ...

    async def get_by_username(self, username: str) -> Account | None: ...

    async def get_signed_in(self, account_id: UUID, session_id: UUID | None) -> Account | None:
        """The account an access token speaks for, in one read (it runs on every
        authenticated request): None when there is no such account, or when the token's
        sign-in session (`session_id`, the refresh-token family) has been ended."""
        ...

    async def save(self, account: Account) -> None:
        """Write every field of an existing account back."""
        ...

    async def count(self) -> int: ...

    async def get_for_update(self, username: str) -> Account | None:
        """By (normalised) username, row-locked until the end of the transaction."""
        ...

    async def get_for_update_by_id(self, account_id: UUID) -> Account | None:
        """By id, row-locked until the end of the transaction (see "Lock order" below)."""
        ...

    async def list_page(
        self,
        page: PageRequest[Cursor],
        *,
        role: Role | None = None,
        province_code: str | None = None,
        is_active: bool | None = None,
    ) -> list[Account]:
        """Up to `page.fetch` accounts, newest first by (created_at DESC, id DESC),
        strictly after `page.after`."""
        ...


class PasswordHasher(Protocol):
    """Slow password hashing (Argon2id in auth/passwords.py), injected by the api layer."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """(matches, a new hash when the stored one has outdated parameters, else None)."""
        ...

    async def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification, so unknown usernames are not faster."""
        ...


class SessionRevoker(Protocol):
    """Ends every sign-in of an account (implemented by the sessions feature's repository)."""

    async def revoke_for_account(self, account_id: UUID, at: datetime) -> int: ...


class AccountsUnitOfWork(Transaction, Protocol):
    """What the account use cases need."""

    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def provinces(self) -> ProvinceRepository: ...
    @property
    def refresh_tokens(self) -> SessionRevoker: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def agencies(self) -> AgencyRepository: ...
