"""Signing in: refresh tokens and the throttle of unknown usernames."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    #: When the family's first token was issued (the password was presented); every
    #: token of a family carries it, for the absolute lifetime. None: `issued_at`.
    session_started_at: datetime | None = None

    @property
    def started_at(self) -> datetime:
        return self.session_started_at or self.issued_at


@dataclass(frozen=True, slots=True)
class Session:
    """A sign-in as its holder and admins see it: one live refresh-token family.

    `id` is the family id, which access tokens carry as `sid`; `last_used_at` is when
    its current refresh token was issued (sign-in or last refresh); it ends at
    `idle_expires_at` unless refreshed, and at `expires_at` in any case.
    """

    id: UUID
    account_id: UUID
    started_at: datetime
    last_used_at: datetime
    idle_expires_at: datetime
    expires_at: datetime


def session_of(token: RefreshToken, *, max_lifetime: timedelta) -> Session:
    """The session a family's live (latest) refresh token stands for."""
    return Session(
        id=token.family_id,
        account_id=token.account_id,
        started_at=token.started_at,
        last_used_at=token.issued_at,
        idle_expires_at=token.expires_at,
        expires_at=token.started_at + max_lifetime,
    )


def hash_refresh_token(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
