"""Signing in: repositories of refresh tokens and login throttles."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.accounts.ports import AccountsUnitOfWork
from domain.sessions.model import LoginThrottle, RefreshToken


class LoginThrottleRepository(Protocol):
    async def get_for_update(self, username: str) -> LoginThrottle:
        """The throttle of a username, row-locked (created empty on first use)."""
        ...

    async def save(self, username: str, throttle: LoginThrottle) -> None: ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        """The token with this hash, row-locked until the end of the transaction."""
        ...

    async def mark_used(self, token_id: UUID, at: datetime) -> None: ...

    async def revoke_family(self, family_id: UUID, at: datetime) -> int:
        """Revoke every not yet revoked token of the family; return how many."""
        ...

    async def revoke_for_account(self, account_id: UUID, at: datetime) -> int:
        """Revoke every live token of the account; return how many."""
        ...

    async def revoke_session(self, account_id: UUID, family_id: UUID, at: datetime) -> int:
        """Revoke every not yet revoked token of the family if it belongs to the account;
        return how many (0: no such session of this account, or already ended)."""
        ...

    async def live_sessions(
        self, account_id: UUID, now: datetime, limit: int
    ) -> list[RefreshToken]:
        """The live (unused, unrevoked, unexpired) refresh token of each of the account's
        sessions, most recently used first, at most `limit`."""
        ...


class SessionsUnitOfWork(AccountsUnitOfWork, Protocol):
    """What signing in needs: the accounts' unit of work, with the full refresh-token repository."""

    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...
    @property
    def login_throttles(self) -> LoginThrottleRepository: ...
