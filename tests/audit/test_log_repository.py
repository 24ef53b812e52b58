"""The audit writer on a real PostgreSQL: chained hashes, gap-free, append-only."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from domain.audit.model import ANONYMOUS, GENESIS_HASH, SYSTEM, AuditActor
from domain.clock import FrozenClock
from persistence.audit.repository import _to_entity
from persistence.audit.tables import AuditRow
from persistence.db import create_session_factory
from persistence.uow import SqlUnitOfWork


async def test_entries_chain_and_rollback_leaves_no_gap(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock, request_id="r-1") as uow:
        first = await uow.audit.record(SYSTEM, "test.first", entity_type="thing", entity_id=1)
        second = await uow.audit.viewed(AuditActor("u1", "admin"), "thing", 1, fields=["a"])
        await uow.commit()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.audit.record(SYSTEM, "test.rolled_back")
        await uow.rollback()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        third = await uow.audit.record(SYSTEM, "test.third")
        await uow.commit()

    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert second.action == "thing.viewed"

    async with factory() as session:
        rows = (await session.exec(select(AuditRow).order_by(col(AuditRow.seq)))).all()
    assert [r.action for r in rows] == ["test.first", "thing.viewed", "test.third"]
    for row in rows:
        stored = _to_entity(row)
        assert stored.computed_hash() == stored.hash
    assert rows[0].request_id == "r-1"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ],
)
async def test_audit_log_is_append_only(
    db: AsyncEngine, clock: FrozenClock, statement: str
) -> None:
    async with SqlUnitOfWork(create_session_factory(db), clock=clock) as uow:
        await uow.audit.record(SYSTEM, "test.entry")
        await uow.commit()
    async with db.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(text(statement))


async def test_anonymous_entries_carry_no_request_id(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock, request_id="req-from-proxy-log") as uow:
        anonymous = await uow.audit.record(ANONYMOUS, "test.anonymous")
        official = await uow.audit.record(AuditActor("u1", "central_officer"), "test.official")
        await uow.commit()
    # Proxies log the request id beside the client address: an anonymous reporter's
    # entry must not carry it, an official's entry keeps it for support.
    assert anonymous.request_id is None
    assert official.request_id == "req-from-proxy-log"
