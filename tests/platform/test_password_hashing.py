"""Argon2 hashes run in a bounded pool: each holds its whole memory cost while it runs,
so a burst of sign-ins must not run more of them at once than the bound."""

from __future__ import annotations

import asyncio
import threading

import pytest

from auth.passwords import Argon2PasswordHasher, default_concurrency
from tests.platform.test_settings import make as make_settings

PASSWORD = "correct horse battery staple"


class _Watched:
    """Wraps pwdlib's verify: counts the calls in flight and makes every call wait for a
    partner at a barrier, so that calls the pool runs together are seen together."""

    def __init__(self, hasher: Argon2PasswordHasher, parties: int) -> None:
        self._verify = hasher._hash.verify_and_update
        self._barrier = threading.Barrier(parties, timeout=30)  # a bound, not a timing
        self._lock = threading.Lock()
        self.in_flight = 0
        self.most = 0

    def __call__(
        self, password: str | bytes, password_hash: str | bytes
    ) -> tuple[bool, str | None]:
        with self._lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            self._barrier.wait()
            return self._verify(password, password_hash)
        finally:
            with self._lock:
                self.in_flight -= 1


async def test_no_more_hashes_run_at_once_than_the_bound() -> None:
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=1024, concurrency=2)
    stored = await hasher.hash(PASSWORD)
    watched = _Watched(hasher, parties=2)
    hasher._hash.verify_and_update = watched  # type: ignore[method-assign,assignment]

    results = await asyncio.gather(*(hasher.verify(PASSWORD, stored) for _ in range(8)))

    assert all(matches for matches, _ in results)
    # Two ran together (the barrier of two let every pair through), never three.
    assert watched.most == 2


async def test_one_at_a_time_still_answers_every_caller() -> None:
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=1024, concurrency=1)
    stored = await hasher.hash(PASSWORD)
    watched = _Watched(hasher, parties=1)
    hasher._hash.verify_and_update = watched  # type: ignore[method-assign,assignment]

    results = await asyncio.gather(
        hasher.verify(PASSWORD, stored), hasher.verify("wrong", stored), hasher.verify_dummy("x")
    )

    assert [r[0] for r in results[:2]] == [True, False]
    assert watched.most == 1


def test_the_bound_defaults_to_the_cpus_and_is_a_setting() -> None:
    assert Argon2PasswordHasher().concurrency == default_concurrency() >= 1
    assert make_settings(password_hash_concurrency=3).password_hash_concurrency == 3
    assert make_settings().password_hash_concurrency is None
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        make_settings(password_hash_concurrency=0)
    with pytest.raises(ValueError, match="at least 1"):
        Argon2PasswordHasher(concurrency=0)
