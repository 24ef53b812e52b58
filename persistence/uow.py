"""The SQL unit of work: one AsyncSession (one transaction) and its repositories.

Everything is made on first use: a request that touches no repository opens no session
and checks out no connection, and one that reads accounts builds only that repository.
"""

from __future__ import annotations

from types import TracebackType

import asyncpg
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clock import Clock
from persistence.accounts.repository import SqlAccountRepository
from persistence.agencies.repository import SqlAgencyRepository
from persistence.audit.repository import SqlAuditLog, SqlAuditReader
from persistence.clients.repository import SqlClientRepository
from persistence.crypto import KeyRing, development_keyring
from persistence.idempotency import SqlIdempotencyStore
from persistence.investigations.repository import SqlInvestigationRepository, SqlReferralRepository
from persistence.keys.repository import SqlKeyMaintenance
from persistence.outbox.repository import SqlOutbox
from persistence.provinces.repository import ProvinceCache, SqlProvinceRepository
from persistence.sessions.repository import SqlLoginThrottleRepository, SqlRefreshTokenRepository
from persistence.statistics.repository import SqlStatisticsRepository
from persistence.tips.repository import SqlDisclosureRepository, SqlTipRepository
from persistence.volunteers.repository import SqlVolunteerRepository
from persistence.webhooks.repository import SqlDeliveryRepository, SqlEndpointRepository


class SqlUnitOfWork:
    """Use as `async with SqlUnitOfWork(...) as uow:`; anything not committed is rolled back."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        request_id: str | None = None,
        keyring: KeyRing | None = None,
        province_cache: ProvinceCache | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.keyring = keyring or development_keyring()
        self.clock = clock
        self.request_id = request_id
        self._province_cache = province_cache
        self._session: AsyncSession | None = None
        self._provinces: SqlProvinceRepository | None = None
        self._accounts: SqlAccountRepository | None = None
        self._idempotency: SqlIdempotencyStore | None = None
        self._refresh_tokens: SqlRefreshTokenRepository | None = None
        self._login_throttles: SqlLoginThrottleRepository | None = None
        self._volunteers: SqlVolunteerRepository | None = None
        self._audit: SqlAuditLog | None = None
        self._audit_reader: SqlAuditReader | None = None
        self._tips: SqlTipRepository | None = None
        self._investigations: SqlInvestigationRepository | None = None
        self._referrals: SqlReferralRepository | None = None
        self._disclosures: SqlDisclosureRepository | None = None
        self._agencies: SqlAgencyRepository | None = None
        self._clients: SqlClientRepository | None = None
        self._outbox: SqlOutbox | None = None
        self._endpoints: SqlEndpointRepository | None = None
        self._deliveries: SqlDeliveryRepository | None = None
        self._statistics: SqlStatisticsRepository | None = None
        self._keys: SqlKeyMaintenance | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is None:
            return
        if exc is not None and _connection_broken(exc):
            # Not back into the pool: a connection the server dropped under it, or left
            # mid-operation, would fail the next request that checks it out too.
            await self._session.invalidate()
            return
        # Closing ends the session and rolls back whatever was not committed (the
        # transaction, or nothing after a commit or a read on the driver): one greenlet
        # hop, where a rollback first made two.
        try:
            await self._session.close()
        finally:
            self._transaction_ended()

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._session_factory()
        return self._session

    @property
    def provinces(self) -> SqlProvinceRepository:
        if self._provinces is None:
            self._provinces = SqlProvinceRepository(lambda: self.session, self._province_cache)
        return self._provinces

    @property
    def accounts(self) -> SqlAccountRepository:
        if self._accounts is None:
            self._accounts = SqlAccountRepository(self.session)
        return self._accounts

    @property
    def idempotency(self) -> SqlIdempotencyStore:
        if self._idempotency is None:
            self._idempotency = SqlIdempotencyStore(self.session)
        return self._idempotency

    @property
    def refresh_tokens(self) -> SqlRefreshTokenRepository:
        if self._refresh_tokens is None:
            self._refresh_tokens = SqlRefreshTokenRepository(self.session)
        return self._refresh_tokens

    @property
    def login_throttles(self) -> SqlLoginThrottleRepository:
        if self._login_throttles is None:
            self._login_throttles = SqlLoginThrottleRepository(self.session, self.keyring)
        return self._login_throttles

    @property
    def volunteers(self) -> SqlVolunteerRepository:
        if self._volunteers is None:
            self._volunteers = SqlVolunteerRepository(self.session, self.keyring)
        return self._volunteers

    @property
    def audit(self) -> SqlAuditLog:
        if self._audit is None:
            self._audit = SqlAuditLog(self.session, self.clock, self.request_id)
        return self._audit

    @property
    def audit_reader(self) -> SqlAuditReader:
        if self._audit_reader is None:
            self._audit_reader = SqlAuditReader(self.session)
        return self._audit_reader

    @property
    def tips(self) -> SqlTipRepository:
        if self._tips is None:
            self._tips = SqlTipRepository(self.session, self.keyring)
        return self._tips

    @property
    def investigations(self) -> SqlInvestigationRepository:
        if self._investigations is None:
            self._investigations = SqlInvestigationRepository(self.session, self.keyring)
        return self._investigations

    @property
    def disclosures(self) -> SqlDisclosureRepository:
        if self._disclosures is None:
            self._disclosures = SqlDisclosureRepository(self.session, self.keyring)
        return self._disclosures

    @property
    def referrals(self) -> SqlReferralRepository:
        if self._referrals is None:
            self._referrals = SqlReferralRepository(self.session, self.keyring)
        return self._referrals

    @property
    def agencies(self) -> SqlAgencyRepository:
        if self._agencies is None:
            self._agencies = SqlAgencyRepository(self.session)
        return self._agencies

    @property
    def clients(self) -> SqlClientRepository:
        if self._clients is None:
            self._clients = SqlClientRepository(self.session)
        return self._clients

    @property
    def outbox(self) -> SqlOutbox:
        if self._outbox is None:
            self._outbox = SqlOutbox(self.session)
        return self._outbox

    @property
    def changes(self) -> SqlOutbox:
        """The changes feed reads the outbox."""
        return self.outbox

    @property
    def endpoints(self) -> SqlEndpointRepository:
        if self._endpoints is None:
            self._endpoints = SqlEndpointRepository(self.session, self.keyring)
        return self._endpoints

    @property
    def deliveries(self) -> SqlDeliveryRepository:
        if self._deliveries is None:
            self._deliveries = SqlDeliveryRepository(self.session)
        return self._deliveries

    @property
    def statistics(self) -> SqlStatisticsRepository:
        if self._statistics is None:
            self._statistics = SqlStatisticsRepository(self.session)
        return self._statistics

    @property
    def keys(self) -> SqlKeyMaintenance:
        """Re-sealing and re-hashing after a key rotation (the CLI only)."""
        if self._keys is None:
            self._keys = SqlKeyMaintenance(self.session, self.keyring)
        return self._keys

    @property
    def assigned_tips(self) -> SqlInvestigationRepository:
        """The tips feature's view of the investigations (which tips an investigator has)."""
        return self.investigations

    def _transaction_ended(self) -> None:
        if self._audit is not None:
            self._audit.transaction_ended()

    async def commit(self) -> None:
        if self._session is None:
            return
        try:
            await self._session.commit()
        finally:
            self._transaction_ended()

    async def rollback(self) -> None:
        if self._session is None:
            return
        try:
            await self._session.rollback()
        finally:
            self._transaction_ended()


def _connection_broken(exc: BaseException) -> bool:
    """Whether the error (or what it wraps) says this connection cannot serve again."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(
            current,
            asyncpg.exceptions.InternalClientError
            | asyncpg.exceptions.InterfaceError
            | asyncpg.exceptions.ConnectionDoesNotExistError,
        ):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
        seen += 1
    return False
