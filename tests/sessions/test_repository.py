"""Refresh tokens on PostgreSQL: looked up by hash, revoked per family and per account."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.accounts.model import Account
from domain.clock import FrozenClock
from domain.policy import Role
from domain.sessions.model import RefreshToken, hash_refresh_token
from persistence.db import create_session_factory
from persistence.uow import SqlUnitOfWork


def token(account: Account, family: uuid.UUID, value: str, clock: FrozenClock) -> RefreshToken:
    return RefreshToken(
        id=uuid.uuid4(),
        account_id=account.id,
        family_id=family,
        parent_id=None,
        token_hash=hash_refresh_token(value),
        issued_at=clock.now(),
        expires_at=clock.now() + timedelta(days=14),
    )


async def test_revocation_by_family_and_by_account(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    family_a, family_b = uuid.uuid4(), uuid.uuid4()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        account = Account.new(
            username="somchai",
            display_name="x",
            role=Role.AUDITOR,
            password_hash=None,
            now=clock.now(),
        )
        await uow.accounts.add(account)
        for value, family in (("a1", family_a), ("a2", family_a), ("b1", family_b)):
            await uow.refresh_tokens.add(token(account, family, value, clock))
        await uow.commit()

    async with SqlUnitOfWork(factory, clock=clock) as uow:
        found = await uow.refresh_tokens.get_by_hash_for_update(hash_refresh_token("a1"))
        assert found is not None
        assert found.family_id == family_a
        assert await uow.refresh_tokens.get_by_hash_for_update(hash_refresh_token("zz")) is None
        await uow.refresh_tokens.mark_used(found.id, clock.now())
        assert await uow.refresh_tokens.revoke_family(family_a, clock.now()) == 2
        assert await uow.refresh_tokens.revoke_family(family_a, clock.now()) == 0
        await uow.commit()

    async with SqlUnitOfWork(factory, clock=clock) as uow:
        used = await uow.refresh_tokens.get_by_hash_for_update(hash_refresh_token("a1"))
        assert used is not None
        assert used.used_at == clock.now()
        assert used.revoked_at == clock.now()
        assert await uow.refresh_tokens.revoke_for_account(account.id, clock.now()) == 1
        await uow.commit()
