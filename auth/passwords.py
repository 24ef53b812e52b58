"""Password hashing with pwdlib's Argon2id (passlib 1.7.4 breaks with bcrypt 5).

`Argon2PasswordHasher` implements the domain's `PasswordHasher` protocol. Hashing is
deliberately slow and CPU-bound, so it runs off the event loop, in a pool of its own
with at most `concurrency` threads (PASSWORD_HASH_CONCURRENCY, default: the number of
CPUs). Each hash in flight holds its whole memory cost (64 MiB by default): without the
bound a burst of sign-ins (or a password-guessing flood) holds 64 MiB per request at
once, and more hashes than cores only queue for the CPU anyway. Requests past the bound
wait in the pool's queue; the load shedder (api/overload.py) bounds how many wait.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
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

    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_cost: int | None = None,
        concurrency: int | None = None,
    ) -> None:
        workers = default_concurrency() if concurrency is None else concurrency
        if workers < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
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

    async def _run(self, function: Any, *args: str) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    async def hash(self, password: str) -> str:
        result: str = await self._run(self._hash.hash, password)
        return result

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        result: tuple[bool, str | None] = await self._run(
            self._hash.verify_and_update, password, password_hash
        )
        return result

    async def verify_dummy(self, password: str) -> None:
        dummy: str = await self._run(lambda: self._dummy_hash)
        await self._run(self._hash.verify_and_update, password, dummy)


def default_concurrency() -> int:
    """Hashes at once by default: one per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
