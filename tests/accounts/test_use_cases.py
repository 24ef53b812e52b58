"""Account rules through the use cases on an in-memory unit of work (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.accounts import use_cases
from domain.accounts.errors import (
    AccountLocked,
    NotOwnAccountChange,
    UsernameTaken,
    VolunteerAccountManagedByRegistry,
    WrongCurrentPassword,
)
from domain.accounts.model import Account, AccountChanges, LoginPolicy
from domain.agencies.model import Agency
from domain.clock import FrozenClock
from domain.errors import Forbidden, InvalidInput
from domain.policy import Principal, Role
from domain.sessions import use_cases as sessions
from tests.fakes import FastHasher, InMemoryUnitOfWork, Store

PASSWORD = "correct horse battery staple"
RULES = LoginPolicy(max_failures=3, lockout=timedelta(minutes=15))


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
def uow(store: Store, clock: FrozenClock) -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(store, clock)


async def make(
    uow: InMemoryUnitOfWork, username: str, role: Role, province: str | None = None
) -> Account:
    async with uow:
        return await use_cases.create_account(
            uow,
            FastHasher(),
            actor=None,
            username=username,
            password=PASSWORD,
            display_name=username,
            role=role,
            province_code=province,
        )


async def test_an_admin_creates_an_officer_and_it_is_audited(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    admin = await make(uow, "root", Role.ADMIN)
    async with uow:
        officer = await use_cases.create_account(
            uow,
            FastHasher(),
            actor=admin.principal(),
            username="Somchai.K",
            password=PASSWORD,
            display_name="สมชาย",
            role=Role.PROVINCIAL_OFFICER,
            province_code="TH-40",
        )
    assert (officer.username, officer.province_code) == ("somchai.k", "40")
    assert store.accounts[officer.id].password_hash != PASSWORD
    assert store.actions() == ["user.created", "user.created"]
    assert store.audit[-1].actor_id == str(admin.id)
    assert store.audit[0].actor_id == "system"  # created without an actor (bootstrap, CLI)


@pytest.mark.parametrize(
    ("role", "province", "error"),
    [
        (Role.PROVINCIAL_OFFICER, None, "needs a province_code"),
        (Role.CENTRAL_OFFICER, "40", "not bound to a province"),
        (Role.PROVINCIAL_OFFICER, "99", "province"),
        (Role.PARTNER, None, "agency_code"),
    ],
)
async def test_scope_rules_are_checked_before_anything_is_written(
    uow: InMemoryUnitOfWork, store: Store, role: Role, province: str | None, error: str
) -> None:
    admin = await make(uow, "root", Role.ADMIN)
    async with uow:
        with pytest.raises(InvalidInput, match=error):
            await use_cases.create_account(
                uow,
                FastHasher(),
                actor=admin.principal(),
                username="someone",
                password=PASSWORD,
                display_name="x",
                role=role,
                province_code=province,
            )
    assert len(store.accounts) == 1
    assert store.actions() == ["user.created"]


async def test_usernames_are_unique_and_volunteers_come_from_the_registry(
    uow: InMemoryUnitOfWork,
) -> None:
    admin = await make(uow, "root", Role.ADMIN)
    with pytest.raises(UsernameTaken):
        await make(uow, "ROOT", Role.AUDITOR)
    async with uow:
        with pytest.raises(VolunteerAccountManagedByRegistry):
            await use_cases.create_account(
                uow,
                FastHasher(),
                actor=admin.principal(),
                username="vol",
                password=PASSWORD,
                display_name="v",
                role=Role.VOLUNTEER,
                province_code="40",
            )


async def test_only_admins_create_accounts(uow: InMemoryUnitOfWork) -> None:
    central = await make(uow, "central", Role.CENTRAL_OFFICER)
    async with uow:
        with pytest.raises(Forbidden):
            await use_cases.create_account(
                uow,
                FastHasher(),
                actor=central.principal(),
                username="x-user",
                password=PASSWORD,
                display_name="x",
                role=Role.AUDITOR,
            )


async def test_a_role_change_ends_the_sessions_but_an_admin_cannot_demote_themselves(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    admin = await make(uow, "root", Role.ADMIN)
    officer = await make(uow, "officer", Role.CENTRAL_OFFICER)
    async with uow:
        await sessions.login(uow, FastHasher(), username="officer", password=PASSWORD, rules=RULES)
    (token,) = store.refresh_tokens.values()
    async with uow:
        changed = await use_cases.update_account(
            uow,
            actor=admin.principal(),
            account_id=officer.id,
            changes=AccountChanges(role=Role.AUDITOR),
        )
    assert changed.role is Role.AUDITOR
    assert store.refresh_tokens[token.id].revoked_at == clock.now()
    async with uow:
        with pytest.raises(NotOwnAccountChange):
            await use_cases.update_account(
                uow,
                actor=admin.principal(),
                account_id=admin.id,
                changes=AccountChanges(is_active=False),
            )
    assert store.accounts[admin.id].is_active


async def test_wrong_current_passwords_lock_the_account(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    officer = await make(uow, "officer", Role.CENTRAL_OFFICER)

    async def change(current: str) -> None:
        async with uow:
            await use_cases.change_own_password(
                uow,
                FastHasher(),
                actor=officer.principal(),
                current_password=current,
                new_password="another long passphrase",
                rules=RULES,
            )

    for _ in range(RULES.max_failures - 1):
        with pytest.raises(WrongCurrentPassword):
            await change("not my password")
    with pytest.raises(AccountLocked):
        await change("not my password")  # the third failure locks
    with pytest.raises(AccountLocked):
        await change(PASSWORD)  # even the right password waits
    assert store.accounts[officer.id].locked_until == clock.now() + RULES.lockout
    clock.advance(RULES.lockout)
    await change(PASSWORD)
    assert store.accounts[officer.id].failed_logins == 0
    assert store.actions()[-1] == "user.password_changed"
    assert "user.password_change_failed" in store.actions()


async def test_nothing_is_kept_without_a_commit(uow: InMemoryUnitOfWork, store: Store) -> None:
    async with uow:
        account = Account.new(
            username="ghost",
            display_name="g",
            role=Role.AUDITOR,
            password_hash=None,
            now=uow.clock.now(),
        )
        await uow.accounts.add(account)
    assert store.accounts == {}
    assert store.commits == 0


def test_principal_of_an_account() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    account = Account.new(
        username="officer40",
        display_name="o",
        role=Role.PROVINCIAL_OFFICER,
        password_hash=None,
        now=now,
        province_code="40",
    )
    assert account.principal() == Principal(
        account_id=account.id, role=Role.PROVINCIAL_OFFICER, province_code="40"
    )


async def test_a_partner_account_needs_an_agency_of_the_registry(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    admin = await make(uow, "root", Role.ADMIN)
    store.agencies["PACC"] = Agency.new(
        code="PACC", name_th="สำนักงาน ป.ป.ท.", name_en="Public Sector Anti-Corruption Commission"
    )

    async def partner(agency: str) -> Account:
        async with uow:
            return await use_cases.create_account(
                uow,
                FastHasher(),
                actor=admin.principal(),
                username=f"partner-{agency.lower()}",
                password=PASSWORD,
                display_name="p",
                role=Role.PARTNER,
                agency_code=agency,
            )

    with pytest.raises(InvalidInput, match="No agency in the registry"):
        await partner("PACX")
    assert (await partner("pacc")).agency_code == "PACC"
