"""The driver connection a session's transaction holds is reused while that transaction
lasts, and looked up afresh after it ended (it went back to the pool)."""

from __future__ import annotations

import gc
import weakref

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from persistence.driver import driver_connection, driver_transaction


async def test_the_held_connection_serves_the_transaction_then_is_let_go(
    db: AsyncEngine,
) -> None:
    sessions = async_sessionmaker(db, class_=AsyncSession, expire_on_commit=False)
    async with sessions() as session:
        first = await driver_connection(session)
        assert await driver_connection(session) is first
        in_tx = await driver_transaction(session)
        assert in_tx is first
        assert in_tx.is_in_transaction()
        await session.commit()
        assert not first.is_in_transaction()

        # A new transaction checks a connection out again (maybe another one): never
        # the cached object of the ended transaction without the pool's say.
        again = await driver_transaction(session)
        assert again.is_in_transaction()
        assert (
            await again.fetchval("SELECT pg_backend_pid()")
            == (
                await (await session.connection()).exec_driver_sql("SELECT pg_backend_pid()")
            ).scalar()
        )
        await session.rollback()
        assert not again.is_in_transaction()


async def test_a_finished_session_is_freed_without_the_cyclic_collector(
    db: AsyncEngine,
) -> None:
    """What the driver keeps on the session makes no reference cycle: a request's session
    is freed by reference counting, not left for the collector (45 objects a request, and
    the collector's pauses, when the session's info held its transaction)."""
    sessions = async_sessionmaker(db, class_=AsyncSession, expire_on_commit=False)
    gc.collect()
    gc.disable()
    try:
        async with sessions() as session:
            await (await driver_transaction(session)).execute("SELECT 1")
            await session.commit()
        freed = weakref.ref(session.sync_session)
        del session
        assert freed() is None
    finally:
        gc.enable()
