"""Idempotent use cases: a retried request returns the original outcome, never a duplicate.

A client sends an `Idempotency-Key`; the use case *claims* it inside its own transaction
before doing any work and *completes* it with a small outcome (ids, one-time secrets)
just before its single commit. A retry with the same key and the same request finds the
committed outcome and returns it; a concurrent retry waits for the first transaction to
finish (the claim is a unique insert). The same key with a different request is refused.
Keys are scoped to the caller and expire (24 hours by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.errors import InvalidInput

_KEY = re.compile(r"^[A-Za-z0-9._:-]{16,128}$")


class IdempotencyKeyInvalid(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "The Idempotency-Key header must be 16-128 characters of letters, digits, "
            "'.', '_', ':' or '-' (a random UUID is ideal)."
        )


class IdempotencyKeyReused(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request; "
            "use a new key for a new request."
        )


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """`scope` is the caller (account id or `anonymous`); `fingerprint` digests the request."""

    scope: str
    key: str
    fingerprint: str

    @classmethod
    def parse(cls, *, scope: str, key: str, fingerprint: str) -> IdempotencyKey:
        if not _KEY.match(key):
            raise IdempotencyKeyInvalid()
        return cls(scope=scope, key=key, fingerprint=fingerprint)


#: What a completed request left behind: a few strings (ids, a one-time secret).
Outcome = dict[str, str]


class IdempotencyStore(Protocol):
    async def claim(self, key: IdempotencyKey, *, now: datetime) -> Outcome | None:
        """Claim the key in this transaction, or return the outcome stored under it.

        Returns None when the caller now owns the key (first use, or the old use expired);
        raises IdempotencyKeyReused when the key was used for another request.
        """
        ...

    async def complete(self, key: IdempotencyKey, outcome: Outcome, *, now: datetime) -> None:
        """Store the outcome of a claimed key; commits with the caller's transaction."""
        ...
