"""Password hashing with pwdlib's Argon2id (passlib 1.7.4 breaks with bcrypt 5).

`Argon2PasswordHasher` implements the domain's `PasswordHasher` protocol. Hashing is
deliberately slow and CPU-bound, so it runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import cached_property, lru_cache
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one uses outdated parameters, else None)."""
    return _hasher().verify_and_update(password, password_hash)


class Argon2PasswordHasher:
    """Argon2id (pwdlib's default parameters unless given); a stored hash made with other
    parameters still verifies, and `verify` then returns a new hash to store."""

    def __init__(self, *, time_cost: int | None = None, memory_cost: int | None = None) -> None:
        options: dict[str, Any] = {}
        if time_cost is not None:
            options["time_cost"] = time_cost
        if memory_cost is not None:
            options["memory_cost"] = memory_cost
        self._hash = PasswordHash((Argon2Hasher(**options),)) if options else _hasher()

    @cached_property
    def _dummy_hash(self) -> str:
        # A hash of a random password nobody knows: verifying against it costs the same
        # time as a real verification, so unknown usernames are not answered faster.
        return self._hash.hash(secrets.token_urlsafe(32))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        return await asyncio.to_thread(self._hash.verify_and_update, password, password_hash)

    async def verify_dummy(self, password: str) -> None:
        dummy = await asyncio.to_thread(lambda: self._dummy_hash)
        await asyncio.to_thread(self._hash.verify_and_update, password, dummy)
