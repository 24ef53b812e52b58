"""Keyset pagination, written once for every list: one limit rule, one cursor codec, and
one function that trims the look-ahead row.

A list use case takes a `PageRequest` (the limit and the decoded position), asks its
repository for up to `page.fetch` rows (one more than the limit) after that position, and
returns `paginate(rows, page, key)`: the first `limit` rows and, when the extra row
exists, the cursor of the last row kept.

Cursors are opaque to clients: base64url of a JSON array with a kind tag, e.g.
`["t", "<ISO timestamp>", "<uuid>"]` for lists ordered newest first by
(timestamp DESC, id DESC), and `["s", <seq>]` for lists ordered by a sequence number (the
audit log, an investigation's timeline). Anything a
client can do to a cursor (garbage, other JSON shapes, another list's cursor, naive or
out-of-range timestamps) is an InvalidCursor (422), never a server error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from domain.errors import InvalidInput

DEFAULT_PAGE = 50
MAX_PAGE = 200
#: Longest cursor text accepted (a timestamp cursor is about 100 characters).
MAX_CURSOR_LENGTH = 200

T = TypeVar("T")
K = TypeVar("K", "Cursor", "SeqCursor", "CommitCursor")


class InvalidCursor(InvalidInput):
    def __init__(self) -> None:
        super().__init__("The cursor is not valid; start again without it.")


class InvalidPageSize(InvalidInput):
    def __init__(self) -> None:
        super().__init__(f"limit must be between 1 and {MAX_PAGE}.")


def _encode(parts: list[Any]) -> str:
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str, kind: str) -> list[Any]:
    if len(text) > MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    try:
        parts = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidCursor() from exc
    if not isinstance(parts, list) or not parts or parts[0] != kind:
        raise InvalidCursor()
    return parts[1:]


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last item of a page ordered by (at DESC, id DESC)."""

    at: datetime
    id: UUID

    def encode(self) -> str:
        return _encode(["t", self.at.isoformat(), str(self.id)])

    @classmethod
    def decode(cls, text: str) -> Cursor:
        parts = _decode(text, "t")
        try:
            at, item_id = parts
            if not isinstance(at, str) or not isinstance(item_id, str):
                raise TypeError("cursor parts must be strings")
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None:
                raise ValueError("naive timestamp")
            # Normalising here also refuses instants PostgreSQL cannot hold (year 1 +14:00).
            return cls(at=moment.astimezone(UTC), id=UUID(item_id))
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidCursor() from exc


@dataclass(frozen=True, slots=True)
class SeqCursor:
    """Position after the last item of a page ordered by a sequence number: descending for
    the audit log (newest first), ascending for an investigation's timeline (in order)."""

    seq: int

    def encode(self) -> str:
        return _encode(["s", self.seq])

    @classmethod
    def decode(cls, text: str) -> SeqCursor:
        parts = _decode(text, "s")
        if len(parts) != 1 or type(parts[0]) is not int or not 0 < parts[0] < 2**63:
            raise InvalidCursor()
        return cls(seq=parts[0])


@dataclass(frozen=True, slots=True)
class CommitCursor:
    """Position in commit order (the changes feed): the transaction id of the last event
    read and its sequence number within that transaction's events."""

    xid: int
    seq: int

    def encode(self) -> str:
        return _encode(["x", self.xid, self.seq])

    @classmethod
    def decode(cls, text: str) -> CommitCursor:
        parts = _decode(text, "x")
        if len(parts) != 2 or any(type(p) is not int or not 0 <= p < 2**63 for p in parts):
            raise InvalidCursor()
        return cls(xid=parts[0], seq=parts[1])


@dataclass(frozen=True, slots=True)
class PageRequest(Generic[K]):
    """The page a client asked for: at most `limit` items after `after` (None: the first)."""

    limit: int = DEFAULT_PAGE
    after: K | None = None

    def __post_init__(self) -> None:
        if type(self.limit) is not int or not 1 <= self.limit <= MAX_PAGE:
            raise InvalidPageSize()

    @property
    def fetch(self) -> int:
        """How many rows a repository reads: one more than the limit, to know if more exist."""
        return self.limit + 1

    @classmethod
    def parse(
        cls, codec: Callable[[str], K], *, limit: int = DEFAULT_PAGE, cursor: str | None = None
    ) -> PageRequest[K]:
        return cls(limit=limit, after=codec(cursor) if cursor else None)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def paginate(
    rows: Sequence[T], page: PageRequest[Any], key: Callable[[T], Cursor | SeqCursor]
) -> Page[T]:
    """The one place that trims the look-ahead row and makes the next cursor."""
    if len(rows) <= page.limit:
        return Page(items=list(rows))
    kept = list(rows[: page.limit])
    return Page(items=kept, next_cursor=key(kept[-1]).encode())
