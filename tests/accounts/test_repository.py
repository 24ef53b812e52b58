from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.accounts.errors import UsernameTaken
from domain.accounts.model import Account
from domain.clock import FrozenClock
from domain.errors import InvalidInput
from domain.pagination import Cursor, PageRequest
from domain.policy import Role
from persistence.db import create_session_factory
from persistence.uow import SqlUnitOfWork


async def test_usernames_are_unique_case_insensitively(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        first = Account.new(
            username="Somchai.K",
            display_name="สมชาย",
            role=Role.ADMIN,
            password_hash=None,
            now=clock.now(),
        )
        await uow.accounts.add(first)
        duplicate = Account.new(
            username="SOMCHAI.k",
            display_name="x",
            role=Role.AUDITOR,
            password_hash=None,
            now=clock.now(),
        )
        with pytest.raises(UsernameTaken):
            await uow.accounts.add(duplicate)
        await uow.commit()  # the failed insert did not spoil the transaction
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        loaded = await uow.accounts.get_by_username("somchai.K")
        assert loaded is not None
        assert loaded.id == first.id
        assert loaded.username == "somchai.k"
        assert await uow.accounts.count() == 1


def test_provincial_roles_need_a_province(clock: FrozenClock) -> None:
    with pytest.raises(InvalidInput):
        Account.new(
            username="officer",
            display_name="x",
            role=Role.PROVINCIAL_OFFICER,
            password_hash=None,
            now=clock.now(),
        )
    with pytest.raises(InvalidInput):
        Account.new(
            username="central",
            display_name="x",
            role=Role.CENTRAL_OFFICER,
            password_hash=None,
            now=clock.now(),
            province_code="40",
        )


def _volunteer_account(clock: FrozenClock, username: str) -> Account:
    return Account.new(
        username=username,
        display_name="x",
        role=Role.VOLUNTEER,
        password_hash=None,
        now=clock.now(),
        province_code="40",
    )


async def test_save_maps_a_username_clash_to_username_taken(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    """Two activations choose one new username at the same moment: the loser's save
    raises UsernameTaken (a 409), not a raw IntegrityError (a 500)."""
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        first, second = _volunteer_account(clock, "v-first"), _volunteer_account(clock, "v-2nd")
        await uow.accounts.add(first)
        await uow.accounts.add(second)
        await uow.commit()

    async with (
        SqlUnitOfWork(factory, clock=clock) as winner,
        SqlUnitOfWork(factory, clock=clock) as loser,
    ):
        mine = await winner.accounts.get_for_update_by_id(first.id)
        theirs = await loser.accounts.get_for_update_by_id(second.id)
        assert mine is not None
        assert theirs is not None
        mine.username = theirs.username = "somsri.wanted"
        await winner.accounts.save(mine)  # not committed yet: the loser's save waits on it

        async def lose() -> None:
            with pytest.raises(UsernameTaken):
                await loser.accounts.save(theirs)

        await asyncio.gather(lose(), winner.commit())
        # The failed save did not spoil the loser's transaction, nor its view of the row.
        again = await loser.accounts.get_for_update_by_id(second.id)
        assert again is not None
        assert again.username == "v-2nd"
        again.display_name = "still usable"
        await loser.accounts.save(again)
        await loser.commit()

    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert (await uow.accounts.get_by_username("somsri.wanted")) is not None
        kept = await uow.accounts.get(second.id)
        assert kept is not None
        assert (kept.username, kept.display_name) == ("v-2nd", "still usable")


async def test_get_for_update_by_id_locks_the_row(db: AsyncEngine, clock: FrozenClock) -> None:
    """A second locker waits for the first one's commit and then reads its changes."""
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        account = _volunteer_account(clock, "v-locked")
        await uow.accounts.add(account)
        await uow.commit()
    async with (
        SqlUnitOfWork(factory, clock=clock) as first,
        SqlUnitOfWork(factory, clock=clock) as second,
    ):
        held = await first.accounts.get_for_update_by_id(account.id)
        assert held is not None
        held.failed_logins = 3
        await first.accounts.save(held)

        async def wait_then_read() -> int:
            waited = await second.accounts.get_for_update_by_id(account.id)
            assert waited is not None
            return waited.failed_logins

        seen, _ = await asyncio.gather(wait_then_read(), first.commit())
        assert seen == 3
        assert await second.accounts.get_for_update_by_id(uuid.uuid4()) is None


async def test_list_page_reads_one_look_ahead_row_after_the_cursor(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    """The repository returns up to `page.fetch` rows after `page.after`, newest first,
    with ties on created_at ordered by id; trimming is paginate()'s job, not its."""
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        for i in range(4):  # all four share one created_at
            await uow.accounts.add(
                Account.new(
                    username=f"auditor-{i}",
                    display_name="x",
                    role=Role.AUDITOR,
                    password_hash=None,
                    now=clock.now(),
                )
            )
        await uow.accounts.add(
            Account.new(
                username="admin",
                display_name="x",
                role=Role.ADMIN,
                password_hash=None,
                now=clock.now(),
            )
        )
        await uow.commit()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        first = await uow.accounts.list_page(PageRequest(limit=2), role=Role.AUDITOR)
        assert len(first) == 3
        assert [a.id for a in first] == sorted((a.id for a in first), reverse=True)
        after = Cursor(first[1].created_at, first[1].id)
        rest = await uow.accounts.list_page(PageRequest(limit=2, after=after), role=Role.AUDITOR)
    assert len(rest) == 2
    assert {a.username for a in first[:2] + rest} == {f"auditor-{i}" for i in range(4)}
