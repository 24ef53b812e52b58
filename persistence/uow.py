"""The SQL unit of work: one AsyncSession (one transaction) and its repositories."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clock import Clock
from persistence.accounts.repository import SqlAccountRepository
from persistence.audit.repository import SqlAuditLog, SqlAuditReader
from persistence.crypto import KeyRing, development_keyring
from persistence.idempotency import SqlIdempotencyStore
from persistence.provinces.repository import SqlProvinceRepository
from persistence.sessions.repository import SqlLoginThrottleRepository, SqlRefreshTokenRepository
from persistence.tips.repository import SqlTipRepository
from persistence.volunteers.repository import SqlVolunteerRepository


class SqlUnitOfWork:
    """Use as `async with SqlUnitOfWork(...) as uow:`; anything not committed is rolled back."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        request_id: str | None = None,
        keyring: KeyRing | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.keyring = keyring or development_keyring()
        self.clock = clock
        self.request_id = request_id

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._session_factory()
        self.provinces = SqlProvinceRepository(self.session)
        self.accounts = SqlAccountRepository(self.session)
        self.idempotency = SqlIdempotencyStore(self.session)
        self.refresh_tokens = SqlRefreshTokenRepository(self.session)
        self.login_throttles = SqlLoginThrottleRepository(self.session, self.keyring)
        self.volunteers = SqlVolunteerRepository(self.session, self.keyring)
        self.audit = SqlAuditLog(self.session, self.clock, self.request_id)
        self.audit_reader = SqlAuditReader(self.session)
        self.tips = SqlTipRepository(self.session, self.keyring)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        try:
            await self.session.commit()
        finally:
            self.audit.transaction_ended()

    async def rollback(self) -> None:
        try:
            await self.session.rollback()
        finally:
            self.audit.transaction_ended()
