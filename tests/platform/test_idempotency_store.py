from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FrozenClock
from domain.idempotency import IdempotencyKey, IdempotencyKeyInvalid, IdempotencyKeyReused
from persistence.db import create_session_factory
from persistence.uow import SqlUnitOfWork

KEY = IdempotencyKey.parse(scope="anonymous", key="key-0123456789abcdef", fingerprint="f1")


async def test_first_claim_owns_then_retry_replays(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.idempotency.claim(KEY, now=clock.now()) is None
        await uow.idempotency.complete(
            KEY, {"id": "42", "receipt": "SECRET-RECEIPT"}, now=clock.now()
        )
        await uow.commit()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.idempotency.claim(KEY, now=clock.now()) == {
            "id": "42",
            "receipt": "SECRET-RECEIPT",
        }
    async with db.connect() as conn:
        raw = (await conn.execute(text("SELECT * FROM idempotency_keys"))).all()
    assert len(raw) == 1
    dumped = repr(raw).encode()
    assert b"SECRET-RECEIPT" not in dumped
    assert b"key-0123456789abcdef" not in dumped


async def test_same_key_other_request_is_refused(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.idempotency.claim(KEY, now=clock.now())
        await uow.idempotency.complete(KEY, {"id": "1"}, now=clock.now())
        await uow.commit()
    other = IdempotencyKey.parse(scope=KEY.scope, key=KEY.key, fingerprint="different")
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        with pytest.raises(IdempotencyKeyReused):
            await uow.idempotency.claim(other, now=clock.now())
    # Another caller's identical key is a different key altogether.
    someone_else = IdempotencyKey.parse(scope="account-2", key=KEY.key, fingerprint="different")
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.idempotency.claim(someone_else, now=clock.now()) is None


async def test_expired_key_starts_afresh(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.idempotency.claim(KEY, now=clock.now())
        await uow.idempotency.complete(KEY, {"id": "1"}, now=clock.now())
        await uow.commit()
    clock.advance(timedelta(hours=24, seconds=1))
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.idempotency.claim(KEY, now=clock.now()) is None


async def test_rolled_back_claim_frees_the_key(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.idempotency.claim(KEY, now=clock.now()) is None
        await uow.rollback()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.idempotency.claim(KEY, now=clock.now()) is None


async def test_concurrent_retry_waits_for_the_first_and_replays(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    factory = create_session_factory(db)
    first_claimed = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with SqlUnitOfWork(factory, clock=clock) as uow:
            assert await uow.idempotency.claim(KEY, now=clock.now()) is None
            first_claimed.set()
            await release_first.wait()
            await uow.idempotency.complete(KEY, {"id": "first"}, now=clock.now())
            await uow.commit()

    async def second() -> dict[str, str] | None:
        await first_claimed.wait()
        async with SqlUnitOfWork(factory, clock=clock) as uow:
            # Whether this claim reaches the database before or after the first commits,
            # it must end with the first request's outcome, never a second claim.
            claim = asyncio.ensure_future(uow.idempotency.claim(KEY, now=clock.now()))
            release_first.set()
            return await claim

    _, replayed = await asyncio.gather(first(), second())
    assert replayed == {"id": "first"}


@pytest.mark.parametrize("key", ["short", "has spaces in this key!", "x" * 129])
def test_malformed_keys_are_refused(key: str) -> None:
    with pytest.raises(IdempotencyKeyInvalid):
        IdempotencyKey.parse(scope="anonymous", key=key, fingerprint="f")


async def test_a_unit_of_work_left_without_commit_writes_nothing(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    """Leaving the block without a commit (no explicit rollback: closing the session ends
    its transaction) keeps nothing, and the pooled connection comes back outside any
    transaction for the next unit of work."""
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.idempotency.claim(KEY, now=clock.now()) is None

    async def fails_after_its_write() -> None:
        async with SqlUnitOfWork(factory, clock=clock) as uow:
            assert await uow.idempotency.claim(KEY, now=clock.now()) is None
            raise RuntimeError("the request failed after its write")

    with pytest.raises(RuntimeError):
        await fails_after_its_write()
    async with db.connect() as conn:
        stored = await conn.scalar(text("SELECT count(*) FROM idempotency_keys"))
        assert stored == 0
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.idempotency.claim(KEY, now=clock.now()) is None
        await uow.commit()
    async with db.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM idempotency_keys")) == 1
