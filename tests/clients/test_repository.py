"""API clients on PostgreSQL: the mapping, keyed hashes, filters, the migration's checks."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clients.model import ApiClient, new_secret
from domain.clock import FrozenClock
from domain.pagination import Cursor, PageRequest
from domain.policy import ClientScope
from persistence.db import create_session_factory
from persistence.uow import SqlUnitOfWork

PAGE: PageRequest[Cursor] = PageRequest()


def _client(uow: SqlUnitOfWork, clock: FrozenClock, agency: str, secret: str) -> ApiClient:
    return ApiClient.new(
        name=f"{agency} system",
        agency_code=agency,
        scopes=frozenset({ClientScope.REFERRALS_READ, ClientScope.CHANGES_READ}),
        secret_hash=uow.clients.secret_digest(secret),
        actor=None,
        at=clock.now(),
    )


async def test_clients_round_trip_and_filter(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    secret = new_secret()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        pacc = _client(uow, clock, "PACC", secret)
        await uow.clients.add(pacc)
        clock.advance(timedelta(seconds=1))
        nacc = _client(uow, clock, "NACC", new_secret())
        await uow.clients.add(nacc)
        await uow.commit()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        loaded = await uow.clients.get(pacc.id, for_update=True)
        assert loaded == pacc
        assert loaded.accepts(uow.clients.secret_digest(secret), clock.now()) == "current"
        # A keyed hash: not the plain SHA-256 anyone could compute.
        assert len(loaded.secret_hash) == 64
        assert secret not in loaded.secret_hash
        loaded.rotate(
            uow.clients.secret_digest(new_secret()),
            now=clock.now(),
            old_valid_until=clock.now() + timedelta(hours=1),
        )
        loaded.revoke(clock.now())
        await uow.clients.save(loaded)
        await uow.commit()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.clients.get(pacc.id) == loaded
        assert await uow.clients.get(uuid.uuid4()) is None
        assert [c.id for c in await uow.clients.list(page=PAGE)] == [nacc.id, pacc.id]
        assert [c.id for c in await uow.clients.list(agency_code="PACC", page=PAGE)] == [pacc.id]
        assert [c.id for c in await uow.clients.list(active=True, page=PAGE)] == [nacc.id]
        assert [c.id for c in await uow.clients.list(active=False, page=PAGE)] == [pacc.id]


@pytest.mark.parametrize(
    ("column", "value"),
    [("scopes", "ARRAY[]::varchar[]"), ("agency_code", "'NOSUCH'")],
)
async def test_the_table_refuses_clients_without_scope_or_agency(
    db: AsyncEngine, column: str, value: str
) -> None:
    values = {
        "id": f"'{uuid.uuid4()}'",
        "name": "'x'",
        "agency_code": "'PACC'",
        "scopes": "ARRAY['referrals:read']",
        "secret_hash": "'" + "a" * 64 + "'",
        "created_at": "now()",
        "version": "1",
    } | {column: value}
    with pytest.raises(IntegrityError):
        async with db.begin() as conn:
            await conn.execute(
                text(
                    f"INSERT INTO api_clients ({', '.join(values)}) "
                    f"VALUES ({', '.join(values.values())})"
                )
            )
