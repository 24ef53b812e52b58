"""API clients: the repository protocol and what the use cases need."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.agencies.ports import AgenciesUnitOfWork
from domain.clients.model import ApiClient
from domain.pagination import Cursor, PageRequest
from domain.sessions.ports import LoginThrottleRepository


class ClientRepository(Protocol):
    def secret_digest(self, secret: str) -> str:
        """The keyed hash a secret is stored and compared as."""
        ...

    async def add(self, client: ApiClient) -> None: ...

    async def get(self, client_id: UUID, *, for_update: bool = False) -> ApiClient | None: ...

    async def save(self, client: ApiClient) -> None: ...

    async def list(
        self,
        *,
        agency_code: str | None = None,
        active: bool | None = None,
        page: PageRequest[Cursor],
    ) -> list[ApiClient]:
        """Clients, newest first: up to `page.fetch` after `page.after`."""
        ...


class ClientsUnitOfWork(AgenciesUnitOfWork, Protocol):
    """The registry of agencies (a client belongs to one), the clients, and the throttle
    that failed client authentications share with failed sign-ins."""

    @property
    def clients(self) -> ClientRepository: ...
    @property
    def login_throttles(self) -> LoginThrottleRepository: ...
