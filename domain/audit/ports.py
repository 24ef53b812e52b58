"""Audit trail: the append-only log and its reader."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Protocol

from domain.audit.model import (
    AuditAction,
    AuditActor,
    AuditEntry,
    AuditFilter,
    DetailValue,
    StoredEntry,
)
from domain.pagination import PageRequest, SeqCursor
from domain.transaction import Transaction


class AuditLog(Protocol):
    """Appends entries to the chain inside the caller's transaction."""

    async def record(
        self,
        actor: AuditActor,
        action: AuditAction,
        *,
        entity_type: str | None = None,
        entity_id: object | None = None,
        province_code: str | None = None,
        details: dict[str, DetailValue] | None = None,
    ) -> AuditEntry:
        """Append one entry; UnknownAuditAction when `action` is not an AuditAction."""
        ...

    async def viewed(
        self,
        actor: AuditActor,
        entity_type: str,
        entity_id: object,
        *,
        province_code: str | None = None,
        fields: list[str] | None = None,
    ) -> AuditEntry:
        """Record that the actor read a sensitive record in full (action `<type>.viewed`)."""
        ...


class AuditReader(Protocol):
    """Read access to the chain (no locks: the table is append-only)."""

    async def page(self, criteria: AuditFilter, page: PageRequest[SeqCursor]) -> list[AuditEntry]:
        """Up to `page.fetch` entries matching the criteria, newest first (seq descending),
        older than `page.after` when given."""
        ...

    async def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest entry, or None when the log is empty."""
        ...

    async def hash_of(self, seq: int) -> str | None:
        """The stored hash of one entry, or None when there is no entry with that seq."""
        ...

    def chain(
        self, from_seq: int, to_seq: int, *, batch_size: int
    ) -> AsyncGenerator[Sequence[StoredEntry], None]:
        """The entries from_seq..to_seq that exist, in seq order, in batches, as stored.
        Close it when stopping early (`aclosing`): a batch may be in flight."""
        ...

    def stream(
        self, criteria: AuditFilter, *, up_to_seq: int, batch_size: int
    ) -> AsyncGenerator[Sequence[StoredEntry], None]:
        """Matching entries with seq <= up_to_seq in seq order, in batches, as stored
        (server-side cursor). Close it when stopping early (`aclosing`)."""
        ...


class AuditUnitOfWork(Transaction, Protocol):
    """What the auditors' use cases need."""

    @property
    def audit(self) -> AuditLog: ...
    @property
    def audit_reader(self) -> AuditReader: ...
