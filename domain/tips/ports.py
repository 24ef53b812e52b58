"""What the tips use cases need from storage, and the filters of the tips list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.audit.ports import AuditLog
from domain.errors import InvalidInput
from domain.idempotency import IdempotencyStore
from domain.pagination import Cursor, PageRequest
from domain.provinces.ports import ProvinceRepository
from domain.tips.access import TipVisibility
from domain.tips.deadlines import OverdueKind
from domain.tips.disclosures import DisclosureRequest, DisclosureStatus, DisclosureSummary
from domain.tips.model import (
    LinkedTip,
    Tip,
    TipCategory,
    TipEvent,
    TipLink,
    TipMessage,
    TipStatus,
    TipSummary,
)
from domain.transaction import Transaction


@dataclass(frozen=True, slots=True)
class TipQuery:
    """The filters of the tips list (the page is a separate `PageRequest[Cursor]`)."""

    province_code: str | None = None
    status: TipStatus | None = None
    category: TipCategory | None = None
    received_from: datetime | None = None  # inclusive
    received_to: datetime | None = None  # exclusive
    overdue: OverdueKind | None = None

    def check(self) -> None:
        if (
            self.received_from is not None
            and self.received_to is not None
            and self.received_to <= self.received_from
        ):
            raise InvalidInput("received_to must be after received_from.")


class TipRepository(Protocol):
    async def next_sequence(self, year: int) -> int:
        """The next reference number of the year; gap-free (the counter row stays locked
        until the transaction ends, and a rollback gives the number back)."""
        ...

    async def add(self, tip: Tip, *, receipt: str | None) -> None:
        """Insert a new tip; only a keyed hash of the (normalised) receipt is kept."""
        ...

    async def get(self, tip_id: UUID, *, for_update: bool = False) -> Tip | None: ...

    async def get_by_receipt(self, receipt: str, *, for_update: bool = False) -> Tip | None:
        """Find by normalised receipt: always hashes and queries the same way."""
        ...

    async def save(self, tip: Tip) -> None:
        """Write the mutable fields back and insert `tip.new_events`."""
        ...

    async def history(self, tip_id: UUID) -> list[TipEvent]: ...

    async def summaries(self, tip_ids: list[UUID]) -> list[TipSummary]:
        """The summaries of these tips (no sealed content is read), in the order given;
        ids that do not exist are left out."""
        ...

    async def add_message(self, message: TipMessage) -> None: ...

    async def messages(
        self, tip_id: UUID, *, include_internal: bool, newest: int | None = None
    ) -> list[TipMessage]:
        """Oldest first; with `newest`, only the newest that many."""
        ...

    async def add_link(self, link: TipLink) -> None:
        """Raise TipLinkExists when the pair is already linked (either way round)."""
        ...

    async def links(self, tip_id: UUID, visibility: TipVisibility) -> list[LinkedTip]:
        """Links from and to the tip, limited to tips the visibility reaches."""
        ...

    async def list(
        self,
        query: TipQuery,
        visibility: TipVisibility,
        *,
        page: PageRequest[Cursor],
        now: datetime,
    ) -> list[TipSummary]:
        """Up to `page.fetch` summaries after `page.after`, newest first (received_at, id),
        filtered by the visibility in SQL (so paging never shows or counts a hidden tip)."""
        ...


class DisclosureRepository(Protocol):
    async def add(self, request: DisclosureRequest) -> None: ...

    async def get(
        self, request_id: UUID, *, for_update: bool = False
    ) -> DisclosureRequest | None: ...

    async def save(self, request: DisclosureRequest) -> None:
        """Write the decision back (status, who, when, why)."""
        ...

    async def approved_for(self, tip_id: UUID, account_id: UUID) -> DisclosureRequest | None:
        """The account's approved request for the tip, if any (the newest)."""
        ...

    async def any_approved(self, tip_id: UUID) -> bool:
        """Whether the tip's reporter identity was disclosed to anyone."""
        ...

    async def list(
        self,
        *,
        status: DisclosureStatus | None,
        requested_by: UUID | None,
        page: PageRequest[Cursor],
    ) -> list[DisclosureSummary]:
        """Up to `page.fetch` requests after `page.after`, newest first (requested_at, id);
        `requested_by` limits them to one requester's (applied in the query)."""
        ...


class AssignedTips(Protocol):
    """Which tips an investigator handles: those linked to the investigations they are
    assigned to (implemented by the investigations feature's repository)."""

    async def tip_ids_assigned_to(self, account_id: UUID) -> frozenset[UUID]: ...


class TipsUnitOfWork(Transaction, Protocol):
    """What the tip use cases need."""

    @property
    def tips(self) -> TipRepository: ...
    @property
    def assigned_tips(self) -> AssignedTips: ...
    @property
    def disclosures(self) -> DisclosureRepository: ...
    @property
    def provinces(self) -> ProvinceRepository: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def audit(self) -> AuditLog: ...
