"""Key rotation: the maintenance repository over every sealed column and keyed hash."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.audit.ports import AuditLog
from domain.keys.model import Batch
from domain.transaction import Transaction


class KeyMaintenance(Protocol):
    @property
    def data_key_id(self) -> str:
        """The data key that seals now (DATA_KEY_ID)."""
        ...

    @property
    def hash_key_id(self) -> str:
        """The hash key that hashes now (DATA_HASH_KEY_ID)."""
        ...

    def sealed_columns(self) -> list[str]:
        """Every column of sealed values, `table.column`, in every feature."""
        ...

    def keyed_hash_columns(self) -> list[str]:
        """Every column of keyed hashes that can be re-made from a sealed value."""
        ...

    def presented_hash_columns(self) -> list[str]:
        """Keyed hashes of values never kept (receipts): re-made only when presented."""
        ...

    async def reseal(self, column: str, *, after: UUID | None, limit: int) -> Batch:
        """Re-seal, under the current data key, up to `limit` values of the column not
        already under it, of rows after `after` (by id), row-locked until the commit."""
        ...

    async def rehash(self, column: str, *, after: UUID | None, limit: int) -> Batch:
        """Re-make, under the current hash key, up to `limit` keyed hashes of the column
        made under another key, of rows after `after` (by id), row-locked."""
        ...

    async def hashes_by_key(self, column: str) -> dict[str, int]:
        """How many hashes of the column each hash key made ("" for the unnamed single key
        of earlier versions)."""
        ...


class KeysUnitOfWork(Transaction, Protocol):
    @property
    def keys(self) -> KeyMaintenance: ...
    @property
    def audit(self) -> AuditLog: ...
