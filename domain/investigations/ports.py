"""What the investigations use cases need from storage, and the filters of the list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.accounts.ports import AccountRepository
from domain.agencies.ports import AgencyRepository
from domain.investigations.access import InvestigationVisibility
from domain.investigations.model import (
    Investigation,
    InvestigationStatus,
    InvestigationSummary,
    Priority,
    TimelineEntry,
)
from domain.investigations.referrals import Referral, ReferralStatus
from domain.outbox.ports import EventOutbox
from domain.pagination import Cursor, PageRequest, SeqCursor
from domain.tips.ports import TipsUnitOfWork


@dataclass(frozen=True, slots=True)
class InvestigationQuery:
    """The filters of the list (the page is a separate `PageRequest[Cursor]`)."""

    status: InvestigationStatus | None = None
    province_code: str | None = None  # the lead province
    assignee_id: UUID | None = None
    priority: Priority | None = None
    overdue: bool | None = None  # past the due date (Bangkok) and not concluded
    agency_code: str | None = None  # referred to this agency (any referral status)


@dataclass(frozen=True, slots=True)
class ReferralQuery:
    """The filters of the referrals list."""

    status: ReferralStatus | None = None
    agency_code: str | None = None


@dataclass(frozen=True, slots=True)
class ReferralSummary:
    """A referral in a list: no summary."""

    id: UUID
    investigation_reference: str
    agency_code: str
    status: ReferralStatus
    created_at: datetime
    updated_at: datetime


class InvestigationRepository(Protocol):
    async def next_sequence(self, year: int) -> int:
        """The next reference number of the year; gap-free (the counter row stays locked
        until the transaction ends, and a rollback gives the number back)."""
        ...

    async def add(self, investigation: Investigation) -> None:
        """Insert a new investigation, its tips, assignments and `new_entries`; a tip
        already in another open investigation is refused by the database (409)."""
        ...

    async def get(
        self, investigation_id: UUID, *, for_update: bool = False
    ) -> Investigation | None:
        """With its tips, assignments and the provinces its tips are recused from;
        `for_update` locks the row until the transaction ends."""
        ...

    async def save(self, investigation: Investigation) -> None:
        """Write the mutable fields and the assignments back, insert `new_entries`."""
        ...

    async def append_timeline(self, investigation: Investigation) -> None:
        """Insert `new_entries` only (notes, evidence): the record's row is not written,
        so a note never undoes a concurrent change of the record."""
        ...

    async def timeline(
        self, investigation_id: UUID, *, page: PageRequest[SeqCursor]
    ) -> list[TimelineEntry]:
        """Up to `page.fetch` entries after `page.after`, oldest first (seq ascending)."""
        ...

    async def list(
        self,
        query: InvestigationQuery,
        visibility: InvestigationVisibility,
        *,
        page: PageRequest[Cursor],
        now: datetime,
    ) -> list[InvestigationSummary]:
        """Up to `page.fetch` summaries after `page.after`, newest first (created_at, id),
        filtered by the visibility in SQL."""
        ...


class ReferralRepository(Protocol):
    async def add(self, referral: Referral, entry: TimelineEntry) -> None:
        """Insert the referral and its step on the investigation's timeline; a second
        referral that is not declined is refused by the database (409)."""
        ...

    async def get(self, referral_id: UUID, *, for_update: bool = False) -> Referral | None: ...

    async def save(self, referral: Referral, entry: TimelineEntry) -> None:
        """Write the status back and add the update to the investigation's timeline."""
        ...

    async def of_investigation(self, investigation_id: UUID) -> list[Referral]:
        """Oldest first."""
        ...

    async def updates(self, referral: Referral) -> list[TimelineEntry]:
        """The referral's steps on the investigation's timeline, oldest first."""
        ...

    async def list(
        self, query: ReferralQuery, *, only_agency: str | None, page: PageRequest[Cursor]
    ) -> list[ReferralSummary]:
        """Up to `page.fetch` referrals after `page.after`, newest first; `only_agency` is
        the caller's scope (applied in the query)."""
        ...


class InvestigationsUnitOfWork(TipsUnitOfWork, Protocol):
    """What the investigations use cases need: the tips' unit of work (an investigation
    moves and closes its tips in the same transaction), accounts (who is assigned), the
    investigations, their referrals and the agencies they go to, and the outbox the
    agencies' events are written to in the same transaction."""

    @property
    def investigations(self) -> InvestigationRepository: ...
    @property
    def referrals(self) -> ReferralRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def agencies(self) -> AgencyRepository: ...
    @property
    def outbox(self) -> EventOutbox: ...
