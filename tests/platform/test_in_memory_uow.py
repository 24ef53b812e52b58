"""The in-memory unit of work of the fast tier (tests/fakes.py) is a whole `UnitOfWork`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

from domain.audit import use_cases as audit
from domain.audit.model import SYSTEM, AuditAction, AuditFilter
from domain.clock import FrozenClock
from domain.pagination import PageRequest
from domain.policy import Principal, Role
from domain.uow import UnitOfWork
from tests.fakes import InMemoryUnitOfWork, Store

clock = FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


def test_in_memory_uow_is_a_unit_of_work() -> None:
    uow: UnitOfWork = InMemoryUnitOfWork(Store(), clock)  # mypy checks every protocol member
    assert uow.clock is clock


async def test_its_audit_chain_reads_and_verifies_like_the_sql_one() -> None:
    store, auditor = Store(), Principal(uuid4(), Role.AUDITOR)
    async with InMemoryUnitOfWork(store, clock) as uow:
        for action in (AuditAction.TIP_SUBMITTED, AuditAction.TIP_VIEWED) * 3:
            await uow.audit.record(SYSTEM, action, entity_type="tip", entity_id=uuid4())
        await uow.commit()
        page = await audit.list_audit_entries(
            uow,
            actor=auditor,
            criteria=AuditFilter.build(action="tip.viewed"),
            page=PageRequest(limit=2),
        )
        assert [entry.seq for entry in page.items] == [6, 4]
        assert page.next_cursor is not None
        verified = await audit.verify_audit_chain(uow, actor=auditor, batch_size=4)
        assert (verified.valid, verified.checked) == (True, 6)

    store.audit[2] = replace(store.audit[2], actor_id="someone else")  # tampering
    async with InMemoryUnitOfWork(store, clock) as uow:
        verified = await audit.verify_audit_chain(uow, actor=auditor, batch_size=4)
    assert (verified.valid, verified.first_broken_seq) == (False, 3)
