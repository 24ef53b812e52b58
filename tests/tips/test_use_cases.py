"""Tip rules through the use cases on an in-memory unit of work (no database)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.clock import FrozenClock
from domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from domain.idempotency import IdempotencyKey, IdempotencyKeyReused
from domain.pagination import Cursor, PageRequest
from domain.policy import Principal, Role
from domain.tips import use_cases as tips
from domain.tips.deadlines import DeadlineRules, DeadlineStatus, OverdueKind
from domain.tips.errors import ReceiptNotFound, RecusedOfficeCannotRecord, TipNotFound
from domain.tips.model import (
    TIP_WORKFLOW,
    Accused,
    Contact,
    TipCategory,
    TipChannel,
    TipOutcome,
    TipStatus,
)
from domain.tips.ports import TipQuery
from domain.tips.receipts import normalize_receipt
from tests.audit_checks import assert_entries_clean
from tests.fakes import InMemoryUnitOfWork, Store

RULES = DeadlineRules()
DESCRIPTION = "เจ้าหน้าที่จัดหางานเรียกรับเงินสามพันบาทเพื่อเร่งออกใบอนุญาตทำงาน"
ACCUSED_NAME = "นายสมชาย ใจร้าย"
PHONE = "0812345678"
REASON = "พบหลักฐานการโอนเงิน"
MESSAGE = "เรื่องของท่านได้รับการตรวจสอบแล้ว"
SECRETS = [DESCRIPTION, ACCUSED_NAME, PHONE, "+66812345678", REASON, MESSAGE]

CENTRAL = Principal(uuid4(), Role.CENTRAL_OFFICER)
OFFICER_40 = Principal(uuid4(), Role.PROVINCIAL_OFFICER, "40")
OFFICER_50 = Principal(uuid4(), Role.PROVINCIAL_OFFICER, "50")


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))  # 09:00 in Bangkok, BE 2569


@pytest.fixture
def uow(store: Store, clock: FrozenClock) -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(store, clock)


def submission(**overrides: Any) -> tips.TipSubmission:
    fields: dict[str, Any] = {
        "province_code": "40",
        "category": TipCategory.BRIBERY,
        "description": DESCRIPTION,
        "accused": Accused(office="สำนักงานจัดหางานจังหวัด", person_name=ACCUSED_NAME),
        "contact": Contact(name="ผู้แจ้ง", phone=PHONE),
    }
    fields.update(overrides)
    return tips.TipSubmission(**fields)


async def submit(
    uow: InMemoryUnitOfWork,
    *,
    actor: Principal | None = None,
    what: tips.TipSubmission | None = None,
    idempotency: IdempotencyKey | None = None,
) -> tips.SubmittedTip:
    async with uow:
        return await tips.submit_tip(
            uow,
            actor=actor,
            submission=what or submission(),
            rules=RULES,
            idempotency=idempotency,
        )


async def listed(
    uow: InMemoryUnitOfWork, actor: Principal, query: TipQuery | None = None
) -> list[UUID]:
    async with uow:
        page = await tips.list_tips(
            uow, actor=actor, query=query or TipQuery(), page=PageRequest(limit=200)
        )
    return [summary.id for summary in page.items]


async def test_an_anonymous_tip_gets_a_receipt_and_the_next_reference_of_the_year(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    first = await submit(uow)
    second = await submit(uow)
    assert (first.reference, second.reference) == ("TIP-2569-000001", "TIP-2569-000002")
    assert first.status is TipStatus.RECEIVED
    assert first.ack_due_at == clock.now() + timedelta(days=RULES.ack_days)
    assert first.receipt
    assert second.receipt
    assert first.receipt != second.receipt
    held = repr(store)  # only a keyed hash of the receipt is kept
    assert first.receipt not in held
    assert normalize_receipt(first.receipt) not in held

    async with uow:  # a receipt copied sloppily still works
        seen = await tips.follow_up(uow, receipt=first.receipt.lower().replace("-", " "))
    assert (seen.tip.id, seen.tip.status) == (first.id, TipStatus.RECEIVED)
    async with uow:
        with pytest.raises(ReceiptNotFound):
            await tips.follow_up(uow, receipt="0000-0000-0000-0000-0000")

    assert store.actions() == ["tip.submitted", "tip.submitted", "tip.followed_up"]
    assert {e.actor_id for e in store.audit} == {"anonymous"}
    assert store.audit[0].details["anonymous"] is True
    assert_entries_clean(store.audit, secrets=[*SECRETS, first.receipt, second.receipt])


async def test_references_restart_with_the_buddhist_year_of_the_bangkok_calendar(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC))  # 23:59:59 on 31 Dec in Bangkok
    last_of_2569 = await submit(uow)
    clock.advance(timedelta(seconds=1))  # New Year in Bangkok; still 31 Dec in UTC
    first_of_2570 = await submit(uow)
    second_of_2570 = await submit(uow)
    assert [last_of_2569.reference, first_of_2570.reference, second_of_2570.reference] == [
        "TIP-2569-000001",
        "TIP-2570-000001",
        "TIP-2570-000002",
    ]
    assert store.tip_counters == {2569: 1, 2570: 2}


async def test_a_retry_with_the_same_idempotency_key_returns_the_same_tip_and_receipt(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    key = IdempotencyKey(scope="anonymous", key="tip-retry-0000000001", fingerprint="request-1")
    first = await submit(uow, idempotency=key)
    committed = copy.deepcopy(store)

    retry = await submit(uow, idempotency=key)
    assert retry.replayed
    assert (retry.id, retry.reference, retry.receipt) == (first.id, first.reference, first.receipt)
    assert store == committed  # no tip, number, audit entry or commit more

    with pytest.raises(IdempotencyKeyReused):  # the same key for another request
        await submit(uow, idempotency=replace(key, fingerprint="request-2"))
    assert store == committed


async def test_a_provincial_office_cannot_record_a_tip_accusing_itself_but_the_centre_can(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    about_the_office = submission(
        channel=TipChannel.HOTLINE,
        accused=Accused(office="สำนักงานแรงงานจังหวัดขอนแก่น", is_provincial_labour_office=True),
    )
    with pytest.raises(RecusedOfficeCannotRecord) as refused:
        await submit(uow, actor=OFFICER_40, what=about_the_office)
    assert isinstance(refused.value, Conflict)  # 409
    assert store == Store()

    recorded = await submit(uow, actor=CENTRAL, what=about_the_office)
    tip = store.tips[recorded.id]
    assert (tip.province_code, tip.recused_province_code) == ("40", "40")
    assert tip.recorded_by == CENTRAL.account_id
    assert tip.reporter_account_id is None
    assert recorded.receipt is not None  # for the reporter who phoned in
    assert store.audit[-1].province_code is None  # not filed under the accused province

    async with uow:  # the accused office cannot see it at all
        with pytest.raises(TipNotFound):
            await tips.get_tip(uow, actor=OFFICER_40, tip_id=recorded.id)
    assert await listed(uow, OFFICER_40) == []
    assert await listed(uow, CENTRAL) == [recorded.id]


async def test_triage_acknowledges_reviews_and_closes_with_an_outcome(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    submitted = await submit(uow)
    assert submitted.receipt is not None
    clock.advance(timedelta(days=1))
    async with uow:
        await tips.acknowledge_tip(uow, actor=OFFICER_40, tip_id=submitted.id, rules=RULES)
    clock.advance(timedelta(days=1))
    async with uow:
        await tips.start_review(uow, actor=OFFICER_40, tip_id=submitted.id)
    clock.advance(timedelta(days=10))
    async with uow:
        closed = await tips.close_tip(
            uow,
            actor=OFFICER_40,
            tip_id=submitted.id,
            outcome=TipOutcome.SUBSTANTIATED,
            reason=REASON,
            message=MESSAGE,
        )

    tip = store.tips[submitted.id]
    assert tip == replace(closed, new_events=[])
    assert (tip.status, tip.outcome) == (TipStatus.CLOSED, TipOutcome.SUBSTANTIATED)
    assert tip.closed_at == tip.first_feedback_at == clock.now()  # the closure is feedback
    assert tip.ack_status(clock.now()) is DeadlineStatus.MET
    assert tip.feedback_status(clock.now()) is DeadlineStatus.MET
    assert [(e.from_status, e.to_status) for e in store.tip_events] == [
        (TipStatus.RECEIVED, TipStatus.ACKNOWLEDGED),
        (TipStatus.ACKNOWLEDGED, TipStatus.IN_REVIEW),
        (TipStatus.IN_REVIEW, TipStatus.CLOSED),
    ]
    moves = [TIP_WORKFLOW[name].audit_action for name in ("acknowledge", "review", "close")]
    assert store.actions() == ["tip.submitted", *moves]
    assert store.audit[-1].details["outcome"] == "substantiated"
    assert store.audit[-1].actor_id == str(OFFICER_40.account_id)

    async with uow:  # the reporter reads the closing message through the receipt
        seen = await tips.follow_up(uow, receipt=submitted.receipt)
    assert [m.body for m in seen.messages] == [MESSAGE]
    assert seen.messages[0].author_account_id is None  # not which official wrote it
    assert_entries_clean(store.audit, secrets=[*SECRETS, submitted.receipt])


@pytest.mark.parametrize(
    ("done", "illegal"),
    [
        ([], "review"),
        ([], "close"),
        (["acknowledge"], "acknowledge"),
        (["acknowledge"], "close"),
        (["acknowledge", "review"], "review"),
    ],
)
async def test_moves_out_of_order_are_invalid_transitions_and_change_nothing(
    uow: InMemoryUnitOfWork, store: Store, done: list[str], illegal: str
) -> None:
    submitted = await submit(uow)

    async def move(name: str) -> None:
        async with uow:
            if name == "acknowledge":
                await tips.acknowledge_tip(uow, actor=CENTRAL, tip_id=submitted.id, rules=RULES)
            elif name == "review":
                await tips.start_review(uow, actor=CENTRAL, tip_id=submitted.id)
            else:
                await tips.close_tip(
                    uow,
                    actor=CENTRAL,
                    tip_id=submitted.id,
                    outcome=TipOutcome.DUPLICATE,
                    reason=REASON,
                )

    for name in done:
        await move(name)
    before = copy.deepcopy(store)
    with pytest.raises(InvalidTransition):
        await move(illegal)
    assert store == before


async def test_a_late_acknowledgement_stays_overdue(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    on_time, late = await submit(uow), await submit(uow)
    async with uow:
        await tips.acknowledge_tip(uow, actor=CENTRAL, tip_id=on_time.id, rules=RULES)
    clock.advance(timedelta(days=RULES.ack_days, seconds=1))
    overdue = TipQuery(overdue=OverdueKind.ACK)
    assert await listed(uow, CENTRAL, overdue) == [late.id]

    async with uow:
        await tips.acknowledge_tip(uow, actor=CENTRAL, tip_id=late.id, rules=RULES)
    tip = store.tips[late.id]
    assert tip.ack_status(clock.now()) is DeadlineStatus.OVERDUE  # a breach stays a breach
    assert tip.feedback_due_at == RULES.feedback_due(
        acknowledged_at=clock.now(), ack_due_at=tip.ack_due_at
    )
    assert await listed(uow, CENTRAL, overdue) == [late.id]
    assert store.tips[on_time.id].ack_status(clock.now()) is DeadlineStatus.MET


async def test_an_officer_of_another_province_is_told_the_tip_does_not_exist(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    submitted = await submit(uow)  # a tip for Khon Kaen (40)
    async with uow:
        with pytest.raises(TipNotFound) as hidden:
            await tips.get_tip(uow, actor=OFFICER_50, tip_id=submitted.id)
        with pytest.raises(TipNotFound):
            await tips.acknowledge_tip(uow, actor=OFFICER_50, tip_id=submitted.id, rules=RULES)
        with pytest.raises(TipNotFound):
            await tips.post_message(
                uow, actor=OFFICER_50, tip_id=submitted.id, body=MESSAGE, internal=True
            )
    assert isinstance(hidden.value, NotFound)  # 404, as for a tip that does not exist
    assert await listed(uow, OFFICER_50) == []
    assert store.actions() == ["tip.submitted"]

    async with uow:  # its own province reads it, and the read is audited
        record = await tips.get_tip(uow, actor=OFFICER_40, tip_id=submitted.id)
    assert record.tip.description == DESCRIPTION
    assert not record.reporter_view
    assert store.actions()[-1] == "tip.viewed"


async def test_nothing_is_written_when_a_use_case_fails(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    with pytest.raises(InvalidInput):  # refused after a reference number was drawn
        await submit(uow, what=submission(description="too short"))
    with pytest.raises(InvalidInput):
        await submit(uow, what=submission(province_code="99"))
    assert store == Store()
    assert (await submit(uow)).reference == "TIP-2569-000001"  # the number was given back

    submitted_id = next(iter(store.tips))
    async with uow:
        await tips.acknowledge_tip(uow, actor=CENTRAL, tip_id=submitted_id, rules=RULES)
    async with uow:
        await tips.start_review(uow, actor=CENTRAL, tip_id=submitted_id)
    before = copy.deepcopy(store)
    async with uow:  # the tip is closed in memory before the message is refused
        with pytest.raises(InvalidInput):
            await tips.close_tip(
                uow,
                actor=CENTRAL,
                tip_id=submitted_id,
                outcome=TipOutcome.REFERRED,
                reason=REASON,
                message="x" * (tips.MESSAGE_MAX + 1),
            )
    assert store == before
    assert store.tips[submitted_id].status is TipStatus.IN_REVIEW


async def test_a_volunteer_follows_their_own_tips_and_is_audited_only_as_reporter(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    volunteer = Principal(uuid4(), Role.VOLUNTEER, "40")
    mine = await submit(uow, actor=volunteer)
    someone_elses = await submit(uow)
    assert mine.receipt is None  # they follow up through their account
    assert store.tips[mine.id].reporter_account_id == volunteer.account_id

    async with uow:
        record = await tips.get_tip(uow, actor=volunteer, tip_id=mine.id)
        with pytest.raises(TipNotFound):
            await tips.get_tip(uow, actor=volunteer, tip_id=someone_elses.id)
    assert record.reporter_view
    assert record.links == []
    assert await listed(uow, volunteer) == [mine.id]
    assert store.audit[0].actor_id == "reporter"
    assert str(volunteer.account_id) not in repr(store.audit)


async def test_lists_are_newest_first_and_pages_follow_the_cursor(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    for _ in range(2):
        await submit(uow)
    clock.advance(timedelta(minutes=1))
    for _ in range(3):  # three at the same instant: the id breaks the tie
        await submit(uow, what=submission(province_code="50"))
    newest_first = sorted(store.tips.values(), key=lambda t: (t.received_at, t.id), reverse=True)

    seen: list[UUID] = []
    cursor: str | None = None
    for _ in range(3):
        async with uow:
            page = await tips.list_tips(
                uow,
                actor=CENTRAL,
                query=TipQuery(),
                page=PageRequest.parse(Cursor.decode, limit=2, cursor=cursor),
            )
        seen += [summary.id for summary in page.items]
        cursor = page.next_cursor
    assert cursor is None
    assert seen == [tip.id for tip in newest_first]
    assert await listed(uow, CENTRAL, TipQuery(province_code="TH-50")) == seen[:3]
    assert await listed(uow, OFFICER_40) == seen[3:]
