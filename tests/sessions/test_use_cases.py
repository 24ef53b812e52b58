"""Signing in through the use cases on an in-memory unit of work (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.accounts import use_cases as accounts
from domain.accounts.errors import AccountLocked
from domain.accounts.model import LoginPolicy
from domain.clock import FrozenClock
from domain.policy import Role
from domain.sessions import use_cases
from domain.sessions.errors import InvalidCredentials, InvalidRefreshToken, SessionNotFound
from tests.fakes import FastHasher, InMemoryUnitOfWork, Store

PASSWORD = "correct horse battery staple"
RULES = LoginPolicy(max_failures=3, lockout=timedelta(minutes=15), refresh_ttl=timedelta(days=1))


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
async def uow(store: Store, clock: FrozenClock) -> InMemoryUnitOfWork:
    unit = InMemoryUnitOfWork(store, clock)
    async with unit:
        await accounts.create_account(
            unit,
            FastHasher(),
            actor=None,
            username="officer",
            password=PASSWORD,
            display_name="o",
            role=Role.CENTRAL_OFFICER,
        )
    return unit


async def sign_in(uow: InMemoryUnitOfWork, username: str, password: str) -> use_cases.SignedIn:
    async with uow:
        return await use_cases.login(
            uow, FastHasher(), username=username, password=password, rules=RULES
        )


async def refresh(uow: InMemoryUnitOfWork, token: str) -> use_cases.SignedIn:
    async with uow:
        return await use_cases.refresh(uow, refresh_token=token, rules=RULES)


async def test_sign_in_starts_a_family_and_refresh_rotates_it(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    first = await sign_in(uow, " Officer ", PASSWORD)
    second = await refresh(uow, first.refresh_token)
    assert second.refresh_token != first.refresh_token
    tokens = sorted(store.refresh_tokens.values(), key=lambda t: t.parent_id is not None)
    assert tokens[0].used_at is not None
    assert tokens[1].parent_id == tokens[0].id
    assert tokens[1].family_id == tokens[0].family_id
    assert all(first.refresh_token not in t.token_hash for t in tokens)  # only hashes kept
    assert store.actions()[-2:] == ["auth.login_succeeded", "auth.refreshed"]


async def test_a_reused_refresh_token_revokes_the_whole_family(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    first = await sign_in(uow, "officer", PASSWORD)
    second = await refresh(uow, first.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await refresh(uow, first.refresh_token)  # someone else holds a copy
    with pytest.raises(InvalidRefreshToken):
        await refresh(uow, second.refresh_token)  # so the legitimate one dies too
    assert all(t.revoked_at is not None for t in store.refresh_tokens.values())
    assert "auth.token_family_revoked" in store.actions()


async def test_refresh_tokens_expire(uow: InMemoryUnitOfWork, clock: FrozenClock) -> None:
    signed_in = await sign_in(uow, "officer", PASSWORD)
    clock.advance(RULES.refresh_ttl + timedelta(seconds=1))
    with pytest.raises(InvalidRefreshToken):
        await refresh(uow, signed_in.refresh_token)


async def test_logout_ends_the_family(uow: InMemoryUnitOfWork) -> None:
    signed_in = await sign_in(uow, "officer", PASSWORD)
    async with uow:
        await use_cases.logout(uow, refresh_token=signed_in.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await refresh(uow, signed_in.refresh_token)


async def test_failures_lock_an_account_and_are_committed(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    for _ in range(RULES.max_failures - 1):
        with pytest.raises(InvalidCredentials):
            await sign_in(uow, "officer", "wrong password")
    with pytest.raises(AccountLocked) as locked:
        await sign_in(uow, "officer", "wrong password")
    assert locked.value.retry_after == RULES.lockout.total_seconds()
    with pytest.raises(AccountLocked):
        await sign_in(uow, "officer", PASSWORD)
    assert store.actions().count("auth.login_failed") == RULES.max_failures + 1
    clock.advance(RULES.lockout)
    await sign_in(uow, "officer", PASSWORD)


async def test_unknown_usernames_are_throttled_like_accounts(
    uow: InMemoryUnitOfWork, store: Store
) -> None:
    for _ in range(RULES.max_failures - 1):
        with pytest.raises(InvalidCredentials):
            await sign_in(uow, "nobody", "whatever password")
    with pytest.raises(AccountLocked):
        await sign_in(uow, "nobody", "whatever password")
    assert store.throttles["nobody"].locked_until is not None
    # The username someone typed is never audited.
    assert all("nobody" not in str(entry.details) for entry in store.audit)


async def test_a_session_expires_when_idle_and_the_family_is_revoked(
    uow: InMemoryUnitOfWork, store: Store, clock: FrozenClock
) -> None:
    signed_in = await sign_in(uow, "officer", PASSWORD)
    clock.advance(RULES.session_idle + timedelta(seconds=1))
    with pytest.raises(InvalidRefreshToken):
        await refresh(uow, signed_in.refresh_token)
    assert all(t.revoked_at is not None for t in store.refresh_tokens.values())
    assert store.actions()[-1] == "auth.token_family_revoked"
    assert await uow.accounts.get_signed_in(signed_in.account.id, signed_in.session_id) is None


async def test_own_sessions_are_listed_and_ended(uow: InMemoryUnitOfWork) -> None:
    first = await sign_in(uow, "officer", PASSWORD)
    second = await sign_in(uow, "officer", PASSWORD)
    me = replace(first.account.principal(), session_id=first.session_id)
    async with uow:
        listed = await use_cases.list_own_sessions(uow, actor=me, rules=RULES)
    assert {s.id for s in listed} == {first.session_id, second.session_id}
    assert all(s.expires_at == s.started_at + RULES.session_max for s in listed)
    async with uow:
        await use_cases.end_own_session(uow, actor=me, session_id=second.session_id)
    async with uow:
        assert [s.id for s in await use_cases.list_own_sessions(uow, actor=me, rules=RULES)] == [
            first.session_id
        ]
        with pytest.raises(SessionNotFound):
            await use_cases.end_own_session(uow, actor=me, session_id=second.session_id)
