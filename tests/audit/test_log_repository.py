"""The audit writer on a real PostgreSQL: chained hashes, gap-free, append-only."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from domain.audit.errors import UnknownAuditAction
from domain.audit.model import ANONYMOUS, GENESIS_HASH, SYSTEM, AuditAction, AuditActor
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
        first = await uow.audit.record(
            SYSTEM, AuditAction.USER_CREATED, entity_type="account", entity_id=1
        )
        second = await uow.audit.viewed(AuditActor("u1", "admin"), "tip", 1, fields=["a"])
        await uow.commit()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.audit.record(SYSTEM, AuditAction.USER_UPDATED)
        await uow.rollback()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        third = await uow.audit.record(SYSTEM, AuditAction.USER_DEACTIVATED)
        await uow.commit()

    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert second.action == "tip.viewed"

    async with factory() as session:
        rows = (await session.exec(select(AuditRow).order_by(col(AuditRow.seq)))).all()
    assert [r.action for r in rows] == ["user.created", "tip.viewed", "user.deactivated"]
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
        await uow.audit.record(SYSTEM, AuditAction.USER_UPDATED)
        await uow.commit()
    async with db.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(text(statement))


async def test_anonymous_entries_carry_no_request_id(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock, request_id="req-from-proxy-log") as uow:
        anonymous = await uow.audit.record(ANONYMOUS, AuditAction.TIP_SUBMITTED)
        official = await uow.audit.record(
            AuditActor("u1", "central_officer"), AuditAction.TIP_ACKNOWLEDGED
        )
        await uow.commit()
    # Proxies log the request id beside the client address: an anonymous reporter's
    # entry must not carry it, an official's entry keeps it for support.
    assert anonymous.request_id is None
    assert official.request_id == "req-from-proxy-log"


async def test_the_writer_records_only_audit_actions(db: AsyncEngine, clock: FrozenClock) -> None:
    # mypy holds every use case to AuditAction; the writer refuses a plain string as well,
    # so the list in the OpenAPI document is every action an auditor can ever read.
    async with SqlUnitOfWork(create_session_factory(db), clock=clock) as uow:
        with pytest.raises(UnknownAuditAction):
            await uow.audit.record(SYSTEM, "tip.created")  # type: ignore[arg-type]
        with pytest.raises(UnknownAuditAction):
            await uow.audit.viewed(SYSTEM, "thing", 1)
        plain = await uow.audit.record(SYSTEM, "tip.closed")  # type: ignore[arg-type]
        await uow.commit()
    assert plain.action == "tip.closed"
    assert type(plain.action) is str  # stored and hashed as plain text


async def test_a_writer_waiting_for_the_lock_reads_the_head_its_holder_committed(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    """`audit_chain_head()` takes the lock and reads the head in one statement (migration
    0019): the head must be read after the lock is granted, so a writer that waited gets
    the entry the previous holder committed meanwhile, never the head from before."""
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as first:
        entry = await first.audit.record(SYSTEM, AuditAction.USER_CREATED)  # holds the lock
        async with db.connect() as other:
            pid = (await other.execute(text("SELECT pg_backend_pid()"))).scalar()
            waiting = asyncio.create_task(
                other.execute(text("SELECT seq, hash FROM audit_chain_head()"))
            )
            async with db.connect() as watch:
                deadline = asyncio.get_running_loop().time() + 20
                while (
                    await watch.execute(
                        text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                        {"pid": pid},
                    )
                ).scalar() != "Lock":
                    assert asyncio.get_running_loop().time() < deadline, "never waited"
                    await asyncio.sleep(0.02)
            await first.commit()
            head = (await asyncio.wait_for(waiting, timeout=20)).one()
            await other.rollback()
    assert (head.seq, head.hash) == (entry.seq, entry.hash)
