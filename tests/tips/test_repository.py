"""The tips repository on a real PostgreSQL: sealing, key rotation, gap-free references,
and the SQL overdue predicate agreeing with the domain's."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FrozenClock
from domain.pagination import PageRequest
from domain.policy import Principal, Role
from domain.tips import use_cases as tips
from domain.tips.access import TipVisibility
from domain.tips.deadlines import DeadlineRules, DeadlineStatus, OverdueKind
from domain.tips.model import Accused, Contact, LinkKind, TipCategory, TipOutcome
from domain.tips.ports import TipQuery
from domain.tips.receipts import normalize_receipt
from persistence.crypto import DecryptionFailed, KeyRing
from persistence.db import create_session_factory
from persistence.uow import SqlUnitOfWork

RULES = DeadlineRules()
DESCRIPTION = "เจ้าหน้าที่เรียกรับเงินค่าหัวคิวจากแรงงานที่ไปสมัครงานต่างประเทศ"
ACCUSED_NAME = "นางสาวสมศรี ทุจริต"
PHONE = "0898765432"
REASON = "เหตุผลลับเฉพาะ"
MESSAGE = "ข้อความถึงผู้แจ้งเรื่อง"
TIP_TABLES = ["tips", "tip_events", "tip_messages", "tip_links", "tip_reference_counters"]
HASH_KEY = os.urandom(32)


def submission(**overrides: object) -> tips.TipSubmission:
    fields: dict[str, object] = {
        "province_code": "40",
        "category": TipCategory.ILLEGAL_RECRUITMENT_FEES,
        "description": DESCRIPTION,
        "accused": Accused(office="สำนักงานจัดหางาน", person_name=ACCUSED_NAME, position="หัวหน้า"),
        "location": "ตำบลในเมือง",
        "contact": Contact(name="ผู้แจ้ง", phone=PHONE),
    }
    fields.update(overrides)
    return tips.TipSubmission(**fields)  # type: ignore[arg-type]


async def submit(
    db: AsyncEngine, clock: FrozenClock, keyring: KeyRing | None = None
) -> tips.SubmittedTip:
    async with SqlUnitOfWork(create_session_factory(db), clock=clock, keyring=keyring) as uow:
        return await tips.submit_tip(uow, actor=None, submission=submission(), rules=RULES)


async def test_raw_rows_hold_no_plaintext(db: AsyncEngine, clock: FrozenClock) -> None:
    officer = Principal(uuid.uuid4(), Role.CENTRAL_OFFICER)
    factory = create_session_factory(db)
    first = await submit(db, clock)
    second = await submit(db, clock)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await tips.acknowledge_tip(uow, actor=officer, tip_id=first.id, rules=RULES, reason=REASON)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await tips.start_review(uow, actor=officer, tip_id=first.id, message=MESSAGE)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await tips.close_tip(
            uow, actor=officer, tip_id=first.id, outcome=TipOutcome.REFERRED, reason=REASON
        )
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await tips.follow_up_message(uow, receipt=second.receipt or "", body=MESSAGE)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await tips.link_tips(
            uow, actor=officer, tip_id=second.id, target_id=first.id, kind=LinkKind.RELATED
        )

    secrets = [DESCRIPTION, ACCUSED_NAME, PHONE, REASON, MESSAGE, "ตำบลในเมือง"]
    secrets += [first.receipt or "", (first.receipt or "").replace("-", "")]
    async with db.connect() as conn:
        for table in TIP_TABLES:
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
            assert rows, table
            for row in rows:
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    for secret in secrets:
                        assert secret.encode() not in raw, (table, secret)

    # ...and the owners of the keys read it all back.
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        record = await tips.get_tip(uow, actor=officer, tip_id=first.id)
    assert record.tip.description == DESCRIPTION
    assert record.tip.accused is not None
    assert record.tip.accused.person_name == ACCUSED_NAME
    assert record.history[0].reason == REASON
    # Who reported it stays in the vault (domain/tips/disclosures.py) for every reader...
    assert record.tip.contact is None
    assert record.reporter_kind == "anonymous"
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        stored = await uow.tips.get(first.id)
    assert stored is not None  # ...and is stored, sealed, all the same.
    assert stored.contact == Contact(name="ผู้แจ้ง", phone=PHONE)


async def test_rotating_the_key_keeps_old_tips_readable(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    old_ring = KeyRing({"k1": k1}, "k1", HASH_KEY)
    new_ring = KeyRing({"k1": k1, "k2": k2}, "k2", HASH_KEY)
    old = await submit(db, clock, old_ring)
    new = await submit(db, clock, new_ring)
    async with db.connect() as conn:
        kids: dict[uuid.UUID, bytes] = dict(
            (await conn.execute(text("SELECT id, substr(description, 2, 2) FROM tips"))).all()
        )
    assert kids == {old.id: b"k1", new.id: b"k2"}
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock, keyring=new_ring) as uow:
        for submitted in (old, new):
            tip = await uow.tips.get(submitted.id)
            assert tip is not None
            assert tip.description == DESCRIPTION
        by_receipt = await uow.tips.get_by_receipt(normalize_receipt(old.receipt or ""))
        assert by_receipt is not None
        assert by_receipt.id == old.id
    # The old ring cannot read what the new key sealed.
    async with SqlUnitOfWork(factory, clock=clock, keyring=old_ring) as uow:
        with pytest.raises(DecryptionFailed):
            await uow.tips.get(new.id)


async def test_a_sealed_value_cannot_be_moved_to_another_tip(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    one = await submit(db, clock)
    two = await submit(db, clock)
    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE tips SET description = (SELECT description FROM tips WHERE id = :a) "
                "WHERE id = :b"
            ),
            {"a": one.id, "b": two.id},
        )
    async with SqlUnitOfWork(create_session_factory(db), clock=clock) as uow:
        with pytest.raises(DecryptionFailed):
            await uow.tips.get(two.id)


async def test_references_are_gap_free_under_concurrency(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.tips.next_sequence(2569)
        await uow.rollback()  # a failed submission gives its number back
    results = await asyncio.gather(*(submit(db, clock) for _ in range(12)))
    numbers = sorted(int(r.reference.rsplit("-", 1)[1]) for r in results)
    assert numbers == list(range(1, 13))
    assert {r.reference.split("-")[1] for r in results} == {str(clock.now().year + 543)}


async def test_sql_overdue_matches_the_domain(db: AsyncEngine, clock: FrozenClock) -> None:
    """Time only moves forward; after each event, SQL and domain agree now and later."""
    officer = Principal(uuid.uuid4(), Role.CENTRAL_OFFICER)
    factory = create_session_factory(db)
    start = clock.now()
    ids: list[uuid.UUID] = []
    # (when, what): 12 submissions a day apart; acknowledgements on time, late, exactly at
    # the deadline; one reporter-visible message (feedback).
    schedule: list[tuple[timedelta, str, int]] = [
        (timedelta(days=d), "submit", d) for d in range(12)
    ]
    schedule += [
        (timedelta(days=3, hours=1), "ack", 0),
        (timedelta(days=9, hours=1), "ack", 1),  # 1 hour late
        (timedelta(days=9), "ack", 2),  # exactly at the deadline
        (timedelta(days=20), "message", 0),
    ]
    breaches = 0

    async def compare(now: datetime) -> int:
        found = 0
        async with SqlUnitOfWork(factory, clock=clock) as uow:
            everything = await uow.tips.list(
                TipQuery(), TipVisibility(everything=True), page=PageRequest(limit=200), now=now
            )
            for kind in OverdueKind:
                listed = await uow.tips.list(
                    TipQuery(overdue=kind),
                    TipVisibility(everything=True),
                    page=PageRequest(limit=200),
                    now=now,
                )
                expected = {
                    t.id
                    for t in everything
                    if (t.ack_status(now) if kind is OverdueKind.ACK else t.feedback_status(now))
                    is DeadlineStatus.OVERDUE
                }
                assert {t.id for t in listed} == expected, (kind, now - start)
                found += len(expected)
        return found

    for when, what, index in sorted(schedule):
        clock.set(start + when)
        async with SqlUnitOfWork(factory, clock=clock) as uow:
            if what == "submit":
                await tips.submit_tip(uow, actor=None, submission=submission(), rules=RULES)
            elif what == "ack":
                await tips.acknowledge_tip(uow, actor=officer, tip_id=ids[index], rules=RULES)
            else:
                await tips.post_message(
                    uow, actor=officer, tip_id=ids[index], body="ความคืบหน้า", internal=False
                )
        if what == "submit":
            async with db.connect() as conn:
                ids = list(
                    (await conn.execute(text("SELECT id FROM tips ORDER BY received_at"))).scalars()
                )
        for later in (timedelta(0), timedelta(days=7, seconds=1), timedelta(days=120)):
            breaches += await compare(clock.now() + later)
    assert breaches > 50


async def test_investigating_is_reserved_for_the_investigations_feature(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    officer = Principal(uuid.uuid4(), Role.CENTRAL_OFFICER)
    factory = create_session_factory(db)
    tip = await submit(db, clock)
    for step in ("ack", "review", "investigate", "close"):
        async with SqlUnitOfWork(factory, clock=clock) as uow:
            if step == "ack":
                await tips.acknowledge_tip(uow, actor=officer, tip_id=tip.id, rules=RULES)
            elif step == "review":
                await tips.start_review(uow, actor=officer, tip_id=tip.id)
            elif step == "investigate":
                # Inside an investigation's transaction: it commits, not the tips feature.
                await tips.start_investigation(
                    uow,
                    actor=officer,
                    tip_ids=[tip.id],
                    investigation_id=uuid.uuid4(),
                    reason="เปิดสอบ",
                )
                await uow.commit()
            else:
                await tips.close_tip(
                    uow,
                    actor=officer,
                    tip_id=tip.id,
                    outcome=TipOutcome.SUBSTANTIATED,
                    reason="ผลการสอบสวน",
                )
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        record = await tips.get_tip(uow, actor=officer, tip_id=tip.id)
    assert [e.to_status.value for e in record.history] == [
        "acknowledged",
        "in_review",
        "investigating",
        "closed",
    ]
    async with db.connect() as conn:
        actions = (
            (await conn.execute(text("SELECT action FROM audit_log ORDER BY seq"))).scalars().all()
        )
    assert "tip.investigation_started" in actions
