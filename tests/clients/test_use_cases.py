"""API clients' use cases on the in-memory unit of work (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.accounts.model import LoginPolicy
from domain.agencies.model import Agency
from domain.clients import use_cases as uc
from domain.clients.errors import (
    ClientLocked,
    ClientNotFound,
    ClientRevoked,
    InvalidClient,
    InvalidScope,
)
from domain.clock import FrozenClock
from domain.errors import Forbidden, InvalidInput
from domain.pagination import PageRequest
from domain.policy import ClientScope, Principal, Role
from tests.fakes import InMemoryUnitOfWork, Store

RULES = LoginPolicy(max_failures=3, lockout=timedelta(minutes=15), refresh_ttl=timedelta(days=1))
ADMIN = Principal(uuid.uuid4(), Role.ADMIN)
DAY = timedelta(hours=24)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
def store() -> Store:
    store = Store()
    store.agencies["PACC"] = Agency(code="PACC", name_th="ป.ป.ท.", name_en="PACC")
    store.agencies["OLD"] = Agency(code="OLD", name_th="เก่า", name_en="Old", is_active=False)
    return store


@pytest.fixture
def uow(store: Store, clock: FrozenClock) -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork(store, clock)


async def register(
    uow: InMemoryUnitOfWork, scopes: tuple[str, ...] = ("referrals:read", "referrals:write")
) -> uc.IssuedSecret:
    async with uow:
        return await uc.register_client(
            uow, actor=ADMIN, name="PACC system", agency_code="pacc", scopes=scopes
        )


async def authenticate(
    uow: InMemoryUnitOfWork, client_id: str, secret: str, scope: str | None = None
) -> uc.ClientGrant:
    async with uow:
        return await uc.authenticate_client(
            uow, client_id=client_id, client_secret=secret, scope=scope, rules=RULES
        )


async def test_admins_register_clients_for_active_agencies_only(
    store: Store, uow: InMemoryUnitOfWork
) -> None:
    issued = await register(uow)
    assert issued.client.agency_code == "PACC"
    assert issued.secret.startswith("dtc_")
    assert issued.client.secret_hash != issued.secret
    async with uow:
        assert await uc.get_client(uow, actor=ADMIN, client_id=issued.client.id) == issued.client
        listed = await uc.list_clients(uow, actor=ADMIN, agency_code="pacc", page=PageRequest())
        assert listed.items == [issued.client]
        revoked = await uc.list_clients(uow, actor=ADMIN, active=False, page=PageRequest())
        assert revoked.items == []
        with pytest.raises(ClientNotFound):
            await uc.get_client(uow, actor=ADMIN, client_id=uuid.uuid4())
        for agency in ("OLD", "NOPE"):
            with pytest.raises(InvalidInput, match="No active partner agency"):
                await uc.register_client(
                    uow, actor=ADMIN, name="x", agency_code=agency, scopes=["referrals:read"]
                )
        with pytest.raises(Forbidden):
            await uc.register_client(
                uow,
                actor=Principal(uuid.uuid4(), Role.CENTRAL_OFFICER),
                name="x",
                agency_code="PACC",
                scopes=["referrals:read"],
            )
    entry = store.audit[-1]
    assert entry.action == "client.registered"
    assert entry.details == {"agency_code": "PACC", "scopes": ["referrals:read", "referrals:write"]}


async def test_the_grant_narrows_scopes_and_audits_under_the_client(
    store: Store,
    uow: InMemoryUnitOfWork,
) -> None:
    issued = await register(uow)
    client_id = str(issued.client.id)
    grant = await authenticate(uow, client_id.upper(), issued.secret)
    assert grant.scopes == issued.client.scopes
    narrowed = await authenticate(uow, client_id, issued.secret, scope="referrals:read")
    assert narrowed.scopes == {ClientScope.REFERRALS_READ}
    assert narrowed.principal().scopes == {ClientScope.REFERRALS_READ}
    with pytest.raises(InvalidScope, match="does not hold the scope"):
        await authenticate(uow, client_id, issued.secret, scope="changes:read")
    with pytest.raises(InvalidScope, match="Unknown scope"):
        await authenticate(uow, client_id, issued.secret, scope="root")
    issued_entries = [e for e in store.audit if e.action == "auth.client_token_issued"]
    assert {(e.actor_id, e.actor_role) for e in issued_entries} == {(client_id, "client")}
    assert issued_entries[-1].details["credential"] == "current"


async def test_failures_are_counted_and_lock_like_sign_ins(
    store: Store, uow: InMemoryUnitOfWork, clock: FrozenClock
) -> None:
    issued = await register(uow)
    client_id = str(issued.client.id)
    for _ in range(RULES.max_failures - 1):
        with pytest.raises(InvalidClient):
            await authenticate(uow, client_id, "dtc_wrong")
    with pytest.raises(ClientLocked) as locked:
        await authenticate(uow, client_id, "dtc_wrong")
    assert locked.value.retry_after == 15 * 60
    # Locked: even the right secret waits.
    with pytest.raises(ClientLocked):
        await authenticate(uow, client_id, issued.secret)
    clock.advance(RULES.lockout)
    assert (await authenticate(uow, client_id, issued.secret)).client.id == issued.client.id

    # Unknown ids (and garbage) lock the same way, so a lock reveals nothing.
    for _ in range(RULES.max_failures - 1):
        with pytest.raises(InvalidClient):
            await authenticate(uow, "not-a-client", "dtc_x")
    with pytest.raises(ClientLocked):
        await authenticate(uow, "not-a-client", "dtc_x")
    # A secret longer than any real one is a failure, never hashed.
    with pytest.raises(InvalidClient):
        await authenticate(uow, client_id, "dtc_" + "x" * 500)
    reasons = [e.details["reason"] for e in store.audit if e.action == "auth.client_failed"]
    assert set(reasons) == {"wrong_credential", "locked", "unknown_client"}
    for entry in store.audit:
        assert "not-a-client" not in str(entry)


async def test_rotation_overlap_and_revocation(
    store: Store, uow: InMemoryUnitOfWork, clock: FrozenClock
) -> None:
    issued = await register(uow)
    client_id = str(issued.client.id)
    async with uow:
        rotated = await uc.rotate_client_secret(
            uow,
            actor=ADMIN,
            client_id=issued.client.id,
            old_valid_until=None,
            default_overlap=DAY,
        )
    assert rotated.secret != issued.secret
    assert rotated.client.previous_secret_expires_at == clock.now() + DAY
    old = await authenticate(uow, client_id, issued.secret)
    assert old.client.id == issued.client.id
    clock.advance(DAY)
    with pytest.raises(InvalidClient):
        await authenticate(uow, client_id, issued.secret)
    await authenticate(uow, client_id, rotated.secret)

    async with uow:
        revoked = await uc.revoke_client(uow, actor=ADMIN, client_id=issued.client.id)
        assert not revoked.is_active
        again = await uc.revoke_client(uow, actor=ADMIN, client_id=issued.client.id)
        assert again.revoked_at == revoked.revoked_at
        with pytest.raises(ClientRevoked):
            await uc.rotate_client_secret(
                uow,
                actor=ADMIN,
                client_id=issued.client.id,
                old_valid_until=None,
                default_overlap=DAY,
            )
    with pytest.raises(InvalidClient):
        await authenticate(uow, client_id, rotated.secret)
    actions = [e.action for e in store.audit]
    assert actions.count("client.revoked") == 1
    assert "client.secret_rotated" in actions
    reasons = [e.details["reason"] for e in store.audit if e.action == "auth.client_failed"]
    assert reasons[-1] == "revoked"
