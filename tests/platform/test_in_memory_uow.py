"""The in-memory unit of work of the fast tier (tests/fakes.py).

It serves every feature's unit of work but the investigations' (investigations,
referrals: tested on PostgreSQL only, tests/investigations).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import uuid4

from domain.agencies.ports import AgenciesUnitOfWork
from domain.audit import use_cases as audit
from domain.audit.model import SYSTEM, AuditAction, AuditFilter
from domain.audit.ports import AuditUnitOfWork
from domain.clients.ports import ClientsUnitOfWork
from domain.clock import FrozenClock
from domain.pagination import PageRequest
from domain.policy import Principal, Role
from domain.sessions.ports import SessionsUnitOfWork
from domain.tips.deadlines import DeadlineRules
from domain.tips.model import Tip, TipCategory, TipChannel, TipStatus
from domain.tips.ports import TipsUnitOfWork
from domain.volunteers.model import Volunteer
from domain.volunteers.ports import VolunteersUnitOfWork
from tests.fakes import InMemoryUnitOfWork, Store

clock = FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


def test_in_memory_uow_serves_the_fast_tiers_units_of_work() -> None:
    # mypy checks every protocol member of each.
    uow = InMemoryUnitOfWork(Store(), clock)
    units: tuple[
        SessionsUnitOfWork,
        VolunteersUnitOfWork,
        TipsUnitOfWork,
        AuditUnitOfWork,
        AgenciesUnitOfWork,
        ClientsUnitOfWork,
    ] = (uow, uow, uow, uow, uow, uow)
    assert all(unit.clock is clock for unit in units)


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


async def test_repositories_hand_out_copies_so_an_unsaved_change_is_lost() -> None:
    """As with PostgreSQL: a use case that changes an entity and forgets `save()` loses
    the change even though it commits."""
    store, now = Store(), clock.now()
    tip = Tip.new(
        reference="TIP-2569-000001",
        province_code="40",
        category=TipCategory.OTHER,
        channel=TipChannel.WEB,
        description="x" * 20,
        received_at=now,
        rules=DeadlineRules(),
    )
    volunteer = Volunteer.apply(
        full_name_th="นายทดสอบ ระบบ",
        full_name_en=None,
        national_id="1101700230708",
        date_of_birth=date(1990, 1, 1),
        phone="+66812345678",
        email=None,
        province_code="40",
        district=None,
        occupation=None,
        now=now,
        actor_id="anonymous",
    )
    async with InMemoryUnitOfWork(store, clock) as uow:
        await uow.tips.add(tip, receipt=None)
        await uow.volunteers.add(volunteer)
        tip.status, volunteer.full_name_th = TipStatus.CLOSED, "changed after add"
        loaded_tip = await uow.tips.get(tip.id)
        loaded_volunteer = await uow.volunteers.get(volunteer.id)
        assert loaded_tip is not None
        assert loaded_volunteer is not None
        loaded_tip.status, loaded_volunteer.full_name_th = TipStatus.CLOSED, "changed, not saved"
        await uow.commit()
    assert store.tips[tip.id].status is TipStatus.RECEIVED
    assert store.volunteers[volunteer.id].full_name_th == "นายทดสอบ ระบบ"
