"""The unit of work: one transaction, its repositories, the clock and the audit log.

Use cases take a `UnitOfWork` first and commit once; repositories never commit.
"""

from __future__ import annotations

from typing import Protocol

from domain.accounts import AccountRepository
from domain.audit import AuditLog, AuditReader
from domain.clock import Clock
from domain.idempotency import IdempotencyStore
from domain.provinces import Province, Region
from domain.sessions import LoginThrottleRepository, RefreshTokenRepository
from domain.tips.repository import TipRepository
from domain.volunteers.model import VolunteerRepository


class ProvinceRepository(Protocol):
    async def list(self, *, region: Region | None = None) -> list[Province]: ...

    async def get(self, code: str) -> Province | None: ...

    async def exists(self, code: str) -> bool: ...


class UnitOfWork(Protocol):
    # Read-only members, so implementations may narrow the types.
    @property
    def provinces(self) -> ProvinceRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...
    @property
    def login_throttles(self) -> LoginThrottleRepository: ...
    @property
    def volunteers(self) -> VolunteerRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def audit_reader(self) -> AuditReader: ...
    @property
    def tips(self) -> TipRepository: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def request_id(self) -> str | None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
