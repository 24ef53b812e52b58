"""Partner agencies: the repository protocol."""

from __future__ import annotations

from typing import Protocol

from domain.agencies.model import Agency
from domain.audit.ports import AuditLog
from domain.transaction import Transaction


class AgencyRepository(Protocol):
    async def get(self, code: str, *, for_update: bool = False) -> Agency | None: ...

    async def add(self, agency: Agency) -> None:
        """Insert; raise AgencyExists when the code is taken."""
        ...

    async def save(self, agency: Agency) -> None: ...

    async def list(self, *, active: bool | None = None) -> list[Agency]:
        """Every agency (a few dozen at most), by code."""
        ...


class AgenciesUnitOfWork(Transaction, Protocol):
    """What the registry's use cases need."""

    @property
    def agencies(self) -> AgencyRepository: ...
    @property
    def audit(self) -> AuditLog: ...
