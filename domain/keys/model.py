"""Key rotation: what one batch did, and what a whole run did (counts only, no content)."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Batch:
    """One short transaction's work on one column."""

    #: The last row read (the keyset cursor of the next batch); None when none was read.
    last_id: UUID | None
    #: Rows read (fewer than the batch size: the column is done).
    seen: int
    #: Values re-sealed (or re-hashed) under the current key.
    done: int
    #: Values no listed key opens: left as they are, and reported.
    unreadable: int = 0


@dataclass(slots=True)
class ColumnReport:
    column: str
    done: int = 0
    unreadable: int = 0


@dataclass(slots=True)
class RotationReport:
    """A whole run: the key now current and, per column, what moved under it."""

    key_id: str
    columns: list[ColumnReport] = field(default_factory=list)
    #: Keyed hashes that cannot be re-made (their value is never kept: receipts), by
    #: column and hash-key id; they move under the current key when presented.
    waiting: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return sum(c.done for c in self.columns)

    @property
    def unreadable(self) -> int:
        return sum(c.unreadable for c in self.columns)

    @property
    def still_waiting(self) -> int:
        """Hashes under a key other than the current one that only their holder can move."""
        return sum(
            count
            for by_key in self.waiting.values()
            for kid, count in by_key.items()
            if kid != self.key_id
        )
