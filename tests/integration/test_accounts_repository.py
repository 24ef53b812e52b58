from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.accounts import Account, UsernameTaken
from domain.clock import FrozenClock
from domain.errors import InvalidInput
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
