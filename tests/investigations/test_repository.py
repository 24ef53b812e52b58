"""The investigations repository on a real PostgreSQL: sealed content, gap-free references,
and the database keeping a tip in one open investigation even if the code does not."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.accounts.model import Account
from domain.clock import FrozenClock
from domain.concurrency import VersionMatch
from domain.investigations import use_cases as uc
from domain.investigations.errors import TipAlreadyInvestigated
from domain.investigations.model import (
    AssignmentRole,
    Evidence,
    Investigation,
    InvestigationOutcome,
    Priority,
    Transition,
)
from domain.pagination import PageRequest, SeqCursor
from domain.policy import Principal, Role
from domain.tips import use_cases as tips
from domain.tips.deadlines import DeadlineRules
from domain.tips.errors import TipNotFound
from domain.tips.model import TipCategory
from persistence.db import create_session_factory
from persistence.uow import SqlUnitOfWork

RULES = DeadlineRules()
TITLE = "นายสมปอง ทุจริตดี เรียกรับเงิน"
SECRETS = [TITLE, "ข้อค้นพบลับ", "บันทึกลับ", "ตู้นิรภัย", "เหตุผลลับ", "นางสาวสุดา"]


async def reviewed_tip(db: AsyncEngine, clock: FrozenClock, officer: Principal) -> uuid.UUID:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        submitted = await tips.submit_tip(
            uow,
            actor=None,
            submission=tips.TipSubmission(
                province_code="40",
                category=TipCategory.BRIBERY,
                description="เจ้าหน้าที่เรียกรับเงินเพื่อออกใบอนุญาตทำงาน",
            ),
            rules=RULES,
        )
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await tips.acknowledge_tip(uow, actor=officer, tip_id=submitted.id, rules=RULES)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await tips.start_review(uow, actor=officer, tip_id=submitted.id)
    return submitted.id


async def test_raw_rows_hold_no_plaintext(db: AsyncEngine, clock: FrozenClock) -> None:
    officer = Principal(uuid.uuid4(), Role.CENTRAL_OFFICER)
    factory = create_session_factory(db)
    tip_id = await reviewed_tip(db, clock, officer)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await _account(uow, officer)
        record = await uc.open_investigation(
            uow, actor=officer, opening=uc.InvestigationOpening(title=TITLE, tip_ids=[tip_id])
        )
    case_id = record.investigation.id
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uc.add_note(uow, actor=officer, investigation_id=case_id, body="บันทึกลับ")
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uc.add_evidence(
            uow,
            actor=officer,
            investigation_id=case_id,
            evidence=Evidence("เอกสาร", "ผู้แจ้ง", "ตู้นิรภัย", "นางสาวสุดา"),
        )
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uc.change_status(
            uow,
            actor=officer,
            investigation_id=case_id,
            move=Transition.START,
            reason="เหตุผลลับ",
            expected_version=_any(),
        )
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uc.conclude_investigation(
            uow,
            actor=officer,
            investigation_id=case_id,
            outcome=InvestigationOutcome.SUBSTANTIATED,
            reason="เหตุผลลับ",
            findings="ข้อค้นพบลับ",
            expected_version=_any(),
        )

    async with db.connect() as conn:
        for table in ("investigations", "investigation_timeline", "audit_log", "tip_events"):
            dump = (await conn.execute(text(f"SELECT t::text FROM {table} t"))).scalars().all()
            for secret in SECRETS:
                assert not any(secret in row for row in dump), (table, secret)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        entries = await uow.investigations.timeline(case_id, page=_page())
    texts = [entry.text for entry in entries]
    assert texts == [None, "บันทึกลับ", None, "เหตุผลลับ", "เหตุผลลับ"]
    assert entries[2].evidence is not None
    assert entries[2].evidence.location == "ตู้นิรภัย"
    assert entries[4].fields == ("findings",)


async def test_references_are_gap_free_under_concurrency(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    officer = Principal(uuid.uuid4(), Role.CENTRAL_OFFICER)
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await _account(uow, officer)
        await uow.commit()
    tip_ids = [await reviewed_tip(db, clock, officer) for _ in range(6)]

    # Every third opening names a tip that does not exist: rolled back, and its number
    # given back to the next one.
    available = iter(tip_ids)
    plan = [uuid.uuid4() if n % 3 == 0 else next(available) for n in range(9)]

    async def open_one(n: int) -> str:
        async with SqlUnitOfWork(factory, clock=clock) as uow:
            opening = uc.InvestigationOpening(title=f"คดี {n}", tip_ids=[plan[n]])
            try:
                record = await uc.open_investigation(uow, actor=officer, opening=opening)
            except TipNotFound:
                return ""
            return record.investigation.reference

    references = [ref for ref in await asyncio.gather(*(open_one(n) for n in range(9))) if ref]
    assert len(references) == 6
    assert sorted(int(ref[-6:]) for ref in references) == list(range(1, 7))


async def test_the_database_keeps_a_tip_in_one_open_investigation(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    officer = Principal(uuid.uuid4(), Role.CENTRAL_OFFICER)
    factory = create_session_factory(db)
    tip_id = await reviewed_tip(db, clock, officer)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await _account(uow, officer)
        first = await uc.open_investigation(
            uow, actor=officer, opening=uc.InvestigationOpening(title="ก", tip_ids=[tip_id])
        )
    # Past the application's checks (the tip is no longer in review): the index refuses.
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        second = Investigation.open(
            investigation_id=uuid.uuid4(),
            reference="INV-2569-999999",
            title="ข",
            lead_province_code="40",
            tip_ids=[tip_id],
            recused_province_codes=frozenset(),
            priority=Priority.LOW,
            due_on=None,
            actor=officer,
            at=clock.now(),
        )
        with pytest.raises(TipAlreadyInvestigated):
            await uow.investigations.add(second)
    # Once the first is concluded, its link is no longer open.
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        case = await uow.investigations.get(first.investigation.id, for_update=True)
        assert case is not None
        case.assign(officer.account_id, AssignmentRole.LEAD, actor=officer, at=clock.now())
        await uow.investigations.save(case)
        assert await uow.investigations.tip_ids_assigned_to(officer.account_id) == {tip_id}
        case.move(Transition.START, actor=officer, at=clock.now(), reason="x")
        case.move(
            Transition.CONCLUDE,
            actor=officer,
            at=clock.now(),
            reason="x",
            outcome=InvestigationOutcome.UNSUBSTANTIATED,
        )
        await uow.investigations.save(case)
        await uow.investigations.add(second)
        await uow.rollback()


def _any() -> VersionMatch:
    return VersionMatch(any_version=True)


def _page() -> PageRequest[SeqCursor]:
    return PageRequest(limit=50)


async def _account(uow: SqlUnitOfWork, officer: Principal) -> None:
    """The officer's account row (investigations.created_by refers to accounts)."""
    if await uow.accounts.get(officer.account_id) is not None:
        return
    account = Account.new(
        username=f"central-{officer.account_id.hex[:8]}",
        display_name="Central officer",
        role=Role.CENTRAL_OFFICER,
        password_hash=None,
        now=uow.clock.now(),
    )
    account.id = officer.account_id
    await uow.accounts.add(account)
