"""Volunteer registry: the repository protocol and its list types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.accounts.ports import AccountsUnitOfWork
from domain.idempotency import IdempotencyStore
from domain.pagination import Cursor, PageRequest
from domain.volunteers.model import Volunteer, VolunteerStatus


@dataclass(frozen=True, slots=True)
class VolunteerFilter:
    province_code: str | None = None
    status: VolunteerStatus | None = None
    trained: bool | None = None
    name: str | None = None  # substring of the Thai or English name


@dataclass(frozen=True, slots=True)
class VolunteerSummary:
    """A list item: no national ID, no contact data, no date of birth."""

    id: UUID
    full_name_th: str
    full_name_en: str | None
    province_code: str
    district: str | None
    status: VolunteerStatus
    trained: bool
    applied_at: datetime
    created_at: datetime
    possible_duplicate: bool = False


class VolunteerRepository(Protocol):
    async def add(self, volunteer: Volunteer) -> None:
        """Insert. Several volunteers may hold one national ID (see `duplicate_of`)."""
        ...

    async def holder_of_national_id(self, national_id: str) -> UUID | None:
        """The earliest volunteer holding this national ID, if any. Serialises the
        callers asking for one ID until they commit, so that of two applications sent at
        once the second sees the first."""
        ...

    async def get(self, volunteer_id: UUID, *, for_update: bool = False) -> Volunteer | None:
        """With trainings and history; `for_update` locks the row until commit."""
        ...

    async def get_by_account(
        self, account_id: UUID, *, for_update: bool = False
    ) -> Volunteer | None: ...

    async def save(self, volunteer: Volunteer) -> None:
        """Write every field back, with new trainings and history entries."""
        ...

    async def list(
        self, criteria: VolunteerFilter, *, only_province: str | None, page: PageRequest[Cursor]
    ) -> list[VolunteerSummary]:
        """Up to `page.fetch` summaries after `page.after`, newest first (created_at DESC,
        id DESC); `only_province` is the caller's scope (applied in the query)."""
        ...

    async def store_activation_code(
        self, volunteer_id: UUID, code: str, *, expires_at: datetime
    ) -> None:
        """Keep only a keyed hash of the code, replacing any earlier one."""
        ...

    async def find_by_activation_code(self, code: str, *, now: datetime) -> Volunteer | None:
        """The volunteer whose unexpired code this is (row locked), else None."""
        ...

    async def clear_activation_code(self, volunteer_id: UUID) -> None: ...


class VolunteersUnitOfWork(AccountsUnitOfWork, Protocol):
    """What the registry's use cases need: the accounts' unit of work (approval creates
    the volunteer's account), the registry and idempotency records."""

    @property
    def volunteers(self) -> VolunteerRepository: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
