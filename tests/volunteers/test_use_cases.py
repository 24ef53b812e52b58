"""Volunteer registry rules through the use cases on an in-memory unit of work (no database)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.clock import FrozenClock
from domain.concurrency import VersionMatch
from domain.errors import (
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from domain.idempotency import IdempotencyKey
from domain.pagination import PageRequest
from domain.policy import Principal, Role
from domain.volunteers import use_cases as volunteers
from domain.volunteers.errors import ActivationCodeInvalid, VolunteerNotFound
from domain.volunteers.identity import national_id_check_digit
from domain.volunteers.model import (
    ERASED_NAME,
    VOLUNTEER_WORKFLOW,
    Transition,
    VolunteerStatus,
)
from domain.volunteers.ports import VolunteerFilter
from tests.audit_checks import assert_entries_clean
from tests.fakes import FastHasher, InMemoryUnitOfWork, Store

TTL = timedelta(days=14)
NAME_TH = "นายสมชาย ใจดี"
NAME_EN = "Somchai Jaidee"
PHONE, PHONE_E164 = "081-234-5678", "+66812345678"
EMAIL = "somchai@example.org"
REASON = "เอกสารครบถ้วน ผ่านการสัมภาษณ์"
USERNAME, PASSWORD = "somchai.j", "correct horse battery staple"

CENTRAL = Principal(uuid4(), Role.CENTRAL_OFFICER)
ADMIN = Principal(uuid4(), Role.ADMIN)
OFFICER_40 = Principal(uuid4(), Role.PROVINCIAL_OFFICER, "40")
OFFICER_50 = Principal(uuid4(), Role.PROVINCIAL_OFFICER, "50")


def national_id(serial: int) -> str:
    first12 = f"3{serial:011d}"
    return first12 + str(national_id_check_digit(first12))


NID = national_id(101)
PERSONAL = [NID, NAME_TH, NAME_EN, PHONE_E164, EMAIL]


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))


@pytest.fixture
def uow(store: Store, clock: FrozenClock) -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(store, clock)


async def apply(uow: InMemoryUnitOfWork, **overrides: Any) -> volunteers.ApplicationReceipt:
    fields: dict[str, Any] = {
        "full_name_th": NAME_TH,
        "full_name_en": NAME_EN,
        "national_id": NID,
        "date_of_birth": date(1985, 4, 12),
        "phone": PHONE,
        "email": EMAIL,
        "province_code": "40",
        "district": "เมืองขอนแก่น",
        "occupation": "ลูกจ้างโรงงาน",
    }
    fields.update(overrides)
    async with uow:
        return await volunteers.apply_to_volunteer(
            uow, actor=None, application=volunteers.VolunteerApplication(**fields)
        )


async def approve(
    uow: InMemoryUnitOfWork,
    volunteer_id: UUID,
    actor: Principal = OFFICER_40,
    key: IdempotencyKey | None = None,
) -> volunteers.Approval:
    async with uow:
        return await volunteers.approve_volunteer(
            uow,
            actor=actor,
            volunteer_id=volunteer_id,
            reason=REASON,
            activation_ttl=TTL,
            idempotency_key=key,
        )


async def move(
    uow: InMemoryUnitOfWork, volunteer_id: UUID, transition: Transition, actor: Principal = CENTRAL
) -> None:
    """Any move of VOLUNTEER_WORKFLOW through the use case that performs it."""
    if transition is Transition.APPROVE:
        await approve(uow, volunteer_id, actor)
        return
    async with uow:
        if transition is Transition.RETIRE:
            await volunteers.retire_volunteer(
                uow, actor=actor, volunteer_id=volunteer_id, reason=REASON, erase=False
            )
        else:
            await volunteers.change_status(
                uow, actor=actor, volunteer_id=volunteer_id, move=transition, reason=REASON
            )


async def activate(uow: InMemoryUnitOfWork, code: str) -> None:
    async with uow:
        await volunteers.activate_account(
            uow,
            actor=None,
            activation_code=code,
            username=USERNAME,
            password=PASSWORD,
            hasher=FastHasher(),
        )


async def test_an_application_is_registered_with_the_national_id_masked(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    printed = f"{NID[0]}-{NID[1:5]}-{NID[5:10]}-{NID[10:12]}-{NID[12]}"
    receipt = await apply(uow, national_id=printed)
    assert (receipt.status, receipt.province_code) == ("applied", "40")
    assert receipt.national_id_masked == "*" * 9 + NID[-4:]
    volunteer = store.volunteers[receipt.id]
    assert (volunteer.national_id, volunteer.phone) == (NID, PHONE_E164)  # normalised
    assert [change.to_status for change in volunteer.history] == [VolunteerStatus.APPLIED]
    assert store.actions() == ["volunteer.applied"]
    assert (store.audit[0].actor_id, store.audit[0].province_code) == ("anonymous", "40")
    assert_entries_clean(store.audit, secrets=PERSONAL)


async def test_a_registered_national_id_is_flagged_not_refused(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    first = await apply(uow)
    clock.advance(timedelta(minutes=1))
    second = await apply(uow, national_id=f" {NID[:6]} {NID[6:]} ", full_name_th="นางสมศรี มีสุข")
    # The applicant's answer has the same shape and values as anyone's.
    assert (second.status, second.province_code, second.national_id_masked) == (
        first.status,
        first.province_code,
        first.national_id_masked,
    )
    assert store.volunteers[first.id].duplicate_of is None
    assert store.volunteers[second.id].duplicate_of == first.id
    clock.advance(timedelta(minutes=1))
    third = await apply(uow, national_id=NID)
    assert store.volunteers[third.id].duplicate_of == first.id  # the earliest
    details = [entry.details for entry in store.audit]
    assert [d["possible_duplicate"] for d in details] == [False, True, True]


async def test_approval_creates_the_account_and_a_one_time_activation_code(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    receipt = await apply(uow)
    approval = await approve(uow, receipt.id)
    volunteer = store.volunteers[receipt.id]
    assert volunteer.status is VolunteerStatus.ACTIVE
    assert volunteer.approved_by == OFFICER_40.account_id
    assert volunteer.account_id is not None
    account = store.accounts[volunteer.account_id]
    assert (account.role, account.province_code) == (Role.VOLUNTEER, "40")
    assert (account.display_name, account.password_hash) == (NAME_TH, None)
    assert approval.activation_expires_at == clock.now() + TTL
    held = repr(store)  # only a keyed hash of the code is kept
    assert approval.activation_code not in held
    assert approval.activation_code.replace("-", "") not in held
    assert store.actions() == ["volunteer.applied", "volunteer.approved", "user.created"]

    await activate(uow, approval.activation_code.lower().replace("-", " "))  # typed sloppily
    account = store.accounts[volunteer.account_id]
    assert account.username == USERNAME
    assert account.password_hash == await FastHasher().hash(PASSWORD)
    assert store.activation_codes == {}
    assert store.audit[-1].action == "volunteer.activated"
    assert store.audit[-1].actor_id == str(account.id)
    with pytest.raises(ActivationCodeInvalid):  # used once, then gone
        await activate(uow, approval.activation_code)
    assert_entries_clean(
        store.audit, secrets=[*PERSONAL, approval.activation_code, USERNAME, PASSWORD, REASON]
    )


async def test_a_retried_approval_gets_the_same_code_and_no_second_account(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    receipt = await apply(uow)
    key = IdempotencyKey(str(OFFICER_40.account_id), "approve-0000000001", "approve-request")
    first = await approve(uow, receipt.id, key=key)
    committed = copy.deepcopy(store)
    retry = await approve(uow, receipt.id, key=key)
    assert retry.replayed
    assert retry.activation_code == first.activation_code
    assert store == committed
    assert len(store.accounts) == 1


async def test_activation_refuses_a_wrong_or_expired_code(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    approval = await approve(uow, (await apply(uow)).id)
    committed = copy.deepcopy(store)
    with pytest.raises(ActivationCodeInvalid) as wrong:
        await activate(uow, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    assert isinstance(wrong.value, NotFound)
    clock.advance(TTL)
    with pytest.raises(ActivationCodeInvalid):  # expired: not told apart from wrong
        await activate(uow, approval.activation_code)
    assert store == committed


@pytest.mark.parametrize(
    ("path", "transition"),
    [
        ([], Transition.REJECT),
        ([Transition.APPROVE], Transition.SUSPEND),
        ([Transition.APPROVE, Transition.SUSPEND], Transition.REINSTATE),
    ],
)
async def test_reject_suspend_and_reinstate_follow_the_workflow_table(
    uow: InMemoryUnitOfWork, store: Store, path: list[Transition], transition: Transition
) -> None:
    volunteer_id = (await apply(uow)).id
    for step in path:
        await move(uow, volunteer_id, step)
    before = store.volunteers[volunteer_id]
    await move(uow, volunteer_id, transition)

    row = VOLUNTEER_WORKFLOW[transition]
    volunteer = store.volunteers[volunteer_id]
    assert volunteer.status is row.target
    assert volunteer.version == before.version + 1
    last = volunteer.history[-1]
    assert (last.from_status, last.to_status, last.reason) == (before.status, row.target, REASON)
    entry = next(e for e in reversed(store.audit) if e.action == row.audit_action)
    assert entry.details == {"from_status": before.status, "to_status": row.target}
    if volunteer.account_id is not None:  # the account follows: active only when active
        active = volunteer.status is VolunteerStatus.ACTIVE
        assert store.accounts[volunteer.account_id].is_active is active
        assert store.actions()[-1] == ("user.reactivated" if active else "user.deactivated")
    assert_entries_clean(store.audit, secrets=[*PERSONAL, REASON])


@pytest.mark.parametrize(
    ("path", "transition"),
    [
        ([], Transition.SUSPEND),
        ([], Transition.REINSTATE),
        ([], Transition.RETIRE),
        ([Transition.APPROVE], Transition.APPROVE),
        ([Transition.APPROVE], Transition.REJECT),
        ([Transition.REJECT], Transition.REINSTATE),
        ([Transition.APPROVE, Transition.RETIRE], Transition.REINSTATE),
    ],
)
async def test_moves_the_table_does_not_allow_are_invalid_transitions(
    uow: InMemoryUnitOfWork, store: Store, path: list[Transition], transition: Transition
) -> None:
    volunteer_id = (await apply(uow)).id
    for step in path:
        await move(uow, volunteer_id, step)
    before = copy.deepcopy(store)
    with pytest.raises(InvalidTransition):
        await move(uow, volunteer_id, transition)
    assert store == before


async def test_changes_need_the_version_the_client_read(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    volunteer_id = (await apply(uow)).id
    read = store.volunteers[volunteer_id].version

    async def set_district(district: str, if_match: VersionMatch | None) -> None:
        async with uow:
            await volunteers.update_volunteer(
                uow,
                actor=OFFICER_40,
                volunteer_id=volunteer_id,
                changes=volunteers.VolunteerChanges(frozenset({"district"}), district=district),
                expected_version=if_match,
            )

    with pytest.raises(PreconditionRequired):  # 428: no If-Match
        await set_district("บ้านไผ่", None)
    await set_district("บ้านไผ่", VersionMatch(frozenset({read})))
    assert store.volunteers[volunteer_id].version == read + 1
    with pytest.raises(PreconditionFailed):  # 412: a second change from the same stale read
        await set_district("ชุมแพ", VersionMatch(frozenset({read})))
    assert store.volunteers[volunteer_id].district == "บ้านไผ่"
    await set_district("ชุมแพ", VersionMatch(any_version=True))  # If-Match: *
    assert store.volunteers[volunteer_id].district == "ชุมแพ"
    assert store.actions() == ["volunteer.applied", "volunteer.updated", "volunteer.updated"]
    assert store.audit[-1].details == {"fields": ["district"], "version": read + 2}


async def test_erasure_removes_the_personal_data_and_frees_the_national_id(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    volunteer_id = (await apply(uow)).id
    approval = await approve(uow, volunteer_id)
    await activate(uow, approval.activation_code)
    async with uow:
        await volunteers.retire_volunteer(
            uow, actor=CENTRAL, volunteer_id=volunteer_id, reason=REASON, erase=True
        )

    volunteer = store.volunteers[volunteer_id]
    assert (volunteer.status, volunteer.full_name_th) == (VolunteerStatus.RETIRED, ERASED_NAME)
    assert (volunteer.national_id, volunteer.phone, volunteer.date_of_birth) == (None, None, None)
    assert all(change.reason is None for change in volunteer.history)
    assert len(volunteer.history) == 3  # the record of what happened stays
    assert volunteer.account_id is not None
    account = store.accounts[volunteer.account_id]
    assert (account.is_active, account.password_hash) == (False, None)
    held = repr(store.volunteers) + repr(store.accounts)
    for personal in [*PERSONAL, USERNAME, REASON, "เมืองขอนแก่น", "ลูกจ้างโรงงาน"]:
        assert personal not in held
    assert store.actions()[-4:] == [
        "volunteer.retired",
        "user.deactivated",
        "user.updated",  # the account loses name, username and password
        "volunteer.erased",
    ]
    assert_entries_clean(store.audit, secrets=[*PERSONAL, USERNAME, REASON])

    again = await apply(uow)  # the same person may apply again one day
    assert again.id != volunteer_id


async def test_an_officer_of_another_province_cannot_reach_the_volunteer(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    volunteer_id = (await apply(uow)).id
    committed = copy.deepcopy(store)
    with pytest.raises(VolunteerNotFound):
        await approve(uow, volunteer_id, actor=OFFICER_50)
    async with uow:
        with pytest.raises(VolunteerNotFound):
            await volunteers.get_volunteer(uow, actor=OFFICER_50, volunteer_id=volunteer_id)
    assert store == committed

    async with uow:  # an admin sees the full national ID, and that read is audited
        view = await volunteers.get_volunteer(uow, actor=ADMIN, volunteer_id=volunteer_id)
    assert view.national_id_revealed
    assert view.volunteer.national_id == NID
    assert store.audit[-1].action == "volunteer.viewed"
    assert store.audit[-1].details == {"fields": ["national_id"]}


async def test_lists_are_scoped_filtered_and_newest_first(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    names = [("นายสมชาย ใจดี", "Somchai Jaidee"), ("นางสมศรี มีสุข", None)]
    names += [("นายสมชาย รักงาน", "SOMCHAI Rakngan")]
    for serial, (thai, english) in enumerate(names):
        await apply(uow, national_id=national_id(serial), full_name_th=thai, full_name_en=english)
        clock.advance(timedelta(minutes=1))
    other_province = await apply(uow, national_id=national_id(9), province_code="50")

    async def listed(actor: Principal, criteria: VolunteerFilter, limit: int = 50) -> list[str]:
        async with uow:
            page = await volunteers.list_volunteers(
                uow, actor=actor, criteria=criteria, page=PageRequest(limit=limit)
            )
        return [item.full_name_th for item in page.items]

    everyone = VolunteerFilter()
    assert await listed(CENTRAL, everyone) == [
        store.volunteers[other_province.id].full_name_th,
        "นายสมชาย รักงาน",
        "นางสมศรี มีสุข",
        "นายสมชาย ใจดี",
    ]
    assert await listed(OFFICER_40, everyone) == ["นายสมชาย รักงาน", "นางสมศรี มีสุข", "นายสมชาย ใจดี"]
    assert await listed(OFFICER_40, everyone, limit=1) == ["นายสมชาย รักงาน"]
    assert await listed(OFFICER_40, VolunteerFilter(name="สมชาย")) == [
        "นายสมชาย รักงาน",
        "นายสมชาย ใจดี",
    ]
    assert await listed(OFFICER_40, VolunteerFilter(name="somchai r")) == ["นายสมชาย รักงาน"]
