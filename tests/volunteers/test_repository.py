from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FrozenClock
from domain.pagination import PageRequest
from domain.volunteers.model import Volunteer
from domain.volunteers.ports import VolunteerFilter
from persistence.crypto import DecryptionFailed, development_keyring
from persistence.db import create_session_factory
from persistence.uow import SqlUnitOfWork

NID = "1101700230708"


def volunteer(clock: FrozenClock, nid: str = NID, name: str = "นายสมชาย ใจดี") -> Volunteer:
    return Volunteer.apply(
        full_name_th=name,
        full_name_en=None,
        national_id=nid,
        date_of_birth=date(1985, 4, 12),
        phone="+66812345678",
        email="somchai@example.org",
        province_code="40",
        district=None,
        occupation=None,
        now=clock.now(),
        actor_id="anonymous",
    )


async def test_round_trip_and_storage_at_rest(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    original = volunteer(clock)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.volunteers.add(original)
        await uow.commit()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        loaded = await uow.volunteers.get(original.id)
    assert loaded == original
    async with db.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT national_id_hash, national_id_last4 FROM volunteers WHERE id = :id"),
                {"id": original.id},
            )
        ).one()
    assert row.national_id_hash == development_keyring().keyed_hash(NID, purpose="national_id")
    assert row.national_id_last4 == "0708"


async def test_a_national_id_may_be_held_twice_and_the_earliest_holder_is_found(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    factory = create_session_factory(db)
    first = volunteer(clock)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.volunteers.holder_of_national_id(NID) is None
        await uow.volunteers.add(first)
        await uow.commit()
    clock.advance(timedelta(minutes=1))
    second = volunteer(clock, name="นางอื่น")
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.volunteers.holder_of_national_id(NID) == first.id
        second.duplicate_of = first.id
        await uow.volunteers.add(second)
        await uow.commit()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.volunteers.holder_of_national_id(NID) == first.id
        stored = await uow.volunteers.get(second.id)
        assert stored is not None
        assert stored.duplicate_of == first.id
        assert await uow.volunteers.holder_of_national_id("3100600445635") is None


async def test_a_ciphertext_moved_to_another_row_does_not_open(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    factory = create_session_factory(db)
    first, second = volunteer(clock), volunteer(clock, nid="3100600445635")
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.volunteers.add(first)
        await uow.volunteers.add(second)
        await uow.commit()
    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE volunteers SET national_id_sealed = "
                "(SELECT national_id_sealed FROM volunteers WHERE id = :a) WHERE id = :b"
            ),
            {"a": first.id, "b": second.id},
        )
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        with pytest.raises(DecryptionFailed):
            await uow.volunteers.get(second.id)


async def test_thai_name_search_can_use_the_trigram_index(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.volunteers.add(volunteer(clock))
        await uow.volunteers.add(volunteer(clock, nid="3100600445635", name="นางมาลี ดีใจ"))
        await uow.commit()
        found = await uow.volunteers.list(
            VolunteerFilter(name="สมชาย"), only_province=None, page=PageRequest(limit=10)
        )
    assert [item.full_name_th for item in found] == ["นายสมชาย ใจดี"]
    async with db.begin() as conn:
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            (
                await conn.execute(
                    text("EXPLAIN SELECT id FROM volunteers WHERE full_name_th ILIKE :p"),
                    {"p": "%สมชาย%"},
                )
            ).scalars()
        )
    assert "ix_volunteers_full_name_th_trgm" in plan
