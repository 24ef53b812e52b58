"""Signing in: refresh tokens and the throttle of unknown usernames."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(slots=True)
class LoginThrottle:
    """Failed sign-ins under a username that has no account able to sign in (unknown,
    inactive, or without a password). They lock like a real account does, so a burst of
    guesses cannot tell existing usernames (429 after `max_failures`) from unknown ones."""

    failures: int = 0
    locked_until: datetime | None = None

    def locked_for(self, now: datetime) -> int:
        if self.locked_until is None or self.locked_until <= now:
            return 0
        return math.ceil((self.locked_until - now).total_seconds())


@dataclass(slots=True)
class RefreshToken:
    id: UUID
    account_id: UUID
    family_id: UUID
    parent_id: UUID | None
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


def hash_refresh_token(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
