"""Keyset pagination: the opaque cursor every list shares.

Lists are ordered newest first by (timestamp DESC, id DESC); a cursor is the position
after the last item of a page, as base64url of `["<ISO timestamp>", "<uuid>"]`. Anything
a client can do to a cursor (garbage, other JSON shapes, naive or out-of-range
timestamps) is an InvalidCursor (422), never a server error.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.errors import InvalidInput

DEFAULT_PAGE = 50
MAX_PAGE = 200


class InvalidCursor(InvalidInput):
    def __init__(self) -> None:
        super().__init__("The cursor is not valid; start again without it.")


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last item of a page ordered by (at DESC, id DESC)."""

    at: datetime
    id: UUID

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            at, item_id = json.loads(raw)
            if not isinstance(at, str) or not isinstance(item_id, str):
                raise TypeError("cursor parts must be strings")
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None:
                raise ValueError("naive timestamp")
            # Normalising here also refuses instants PostgreSQL cannot hold (year 1 +14:00).
            return cls(at=moment.astimezone(UTC), id=UUID(item_id))
        except (ValueError, TypeError, OverflowError, binascii.Error) as exc:
            raise InvalidCursor() from exc
