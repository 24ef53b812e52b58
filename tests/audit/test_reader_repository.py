"""Reading, verifying and streaming the audit chain on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.audit.errors import AuditDetailsRejected
from domain.audit.model import (
    CANONICAL_FIELDS,
    GENESIS_HASH,
    SYSTEM,
    AuditAction,
    AuditActor,
    AuditEntry,
    AuditExportFormat,
    AuditFilter,
    DetailValue,
    export_document,
)
from domain.audit.use_cases import (
    AuditExport,
    list_audit_entries,
    stream_audit_export,
    verify_audit_chain,
)
from domain.clock import FrozenClock
from domain.pagination import PageRequest, SeqCursor
from domain.policy import Principal, Role
from persistence.audit.tables import AuditRow
from persistence.db import create_engine, create_session_factory
from persistence.uow import SqlUnitOfWork

AUDITOR = Principal(account_id=uuid.uuid4(), role=Role.AUDITOR)
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
ALICE = AuditActor("alice", "provincial_officer")
BOB = AuditActor("bob", "central_officer")

#: (actor, action, entity_type, entity_id, province_code), one entry a minute from T0.
#: Two actions are not AuditActions (the writer would refuse them): the filters must hold
#: for any text in the table, e.g. `tip.` must not match a `tipster` family.
SCRIPT = [
    (ALICE, "auth.login_succeeded", "account", "alice", None),
    (ALICE, "tip.submitted", "tip", "t1", "40"),
    (BOB, "tip.viewed", "tip", "t1", "40"),
    (BOB, "tip.status.changed", "tip", "t1", "40"),
    (ALICE, "tip.submitted", "tip", "t2", "10"),
    (SYSTEM, "user.created", "account", "carol", None),
    (BOB, "auth.login_failed", "account", "bob", None),
    (ALICE, "tipster.flagged", "tipster", "x", "40"),
]


async def write_script(engine: AsyncEngine, clock: FrozenClock) -> None:
    """The SCRIPT as a valid chain, inserted as the writer would store it."""
    clock.set(T0)
    prev, rows = GENESIS_HASH, []
    for seq, (actor, action, entity_type, entity_id, province) in enumerate(SCRIPT, start=1):
        entry = AuditEntry(
            seq=seq,
            occurred_at=clock.now(),
            actor_id=actor.id,
            actor_role=actor.role,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            province_code=province,
            request_id="req-script",
            prev_hash=prev,
        )
        prev = entry.computed_hash()
        rows.append({**{name: getattr(entry, name) for name in CANONICAL_FIELDS}, "hash": prev})
        clock.advance(timedelta(minutes=1))
    async with engine.begin() as conn:
        await conn.execute(insert(AuditRow.__table__), rows)  # type: ignore[attr-defined]


async def seqs(engine: AsyncEngine, clock: FrozenClock, **criteria: Any) -> list[int]:
    async with SqlUnitOfWork(create_session_factory(engine), clock=clock) as uow:
        page = await list_audit_entries(
            uow, actor=AUDITOR, criteria=AuditFilter.build(**criteria), page=PageRequest(200)
        )
    return [entry.seq for entry in page.items]


async def verify(engine: AsyncEngine, clock: FrozenClock, **kwargs: int):  # type: ignore[no-untyped-def]
    async with SqlUnitOfWork(create_session_factory(engine), clock=clock) as uow:
        return await verify_audit_chain(uow, actor=AUDITOR, batch_size=3, **kwargs)


async def test_filters_newest_first(db: AsyncEngine, clock: FrozenClock) -> None:
    await write_script(db, clock)
    assert await seqs(db, clock) == [8, 7, 6, 5, 4, 3, 2, 1]
    assert await seqs(db, clock, actor_id="alice") == [8, 5, 2, 1]
    assert await seqs(db, clock, action="tip.submitted") == [5, 2]
    assert await seqs(db, clock, action="tip.") == [5, 4, 3, 2]  # not tipster.flagged
    assert await seqs(db, clock, action="tip.status.") == [4]
    assert await seqs(db, clock, action="auth.") == [7, 1]
    assert await seqs(db, clock, entity_type="tip", entity_id="t1") == [4, 3, 2]
    assert await seqs(db, clock, entity_type="account") == [7, 6, 1]
    assert await seqs(db, clock, province_code="TH-40") == [8, 4, 3, 2]
    assert await seqs(db, clock, occurred_from=T0 + timedelta(minutes=2)) == [8, 7, 6, 5, 4, 3]
    window = {"occurred_from": T0 + timedelta(minutes=1), "occurred_to": T0 + timedelta(minutes=4)}
    assert await seqs(db, clock, **window) == [4, 3, 2]
    assert await seqs(db, clock, **window, actor_id="bob") == [4, 3]
    assert await seqs(db, clock, occurred_to=T0) == []
    assert await seqs(db, clock, occurred_from=T0 + timedelta(days=1)) == []


async def test_filtered_pages_plan_for_their_values_the_whole_log_is_one_statement(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    """A filter's page runs in a transaction with custom plans (a generic plan cannot tell
    a rare actor from a frequent one); the unfiltered page is a single statement, with no
    BEGIN/SET LOCAL/ROLLBACK round trips."""
    await write_script(db, clock)
    for criteria, in_transaction, mode in (
        (AuditFilter(actor_id="alice"), True, "force_custom_plan"),
        (AuditFilter(), False, "auto"),
    ):
        async with SqlUnitOfWork(create_session_factory(db), clock=clock) as uow:
            request = PageRequest.parse(SeqCursor.decode, limit=2, cursor=SeqCursor(9).encode())
            page = await list_audit_entries(uow, actor=AUDITOR, criteria=criteria, page=request)
            assert [entry.seq for entry in page.items] == ([8, 5] if in_transaction else [8, 7])
            raw = await (await uow.session.connection()).get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            assert driver.is_in_transaction() is in_transaction
            assert await driver.fetchval("SELECT current_setting('plan_cache_mode')") == mode


async def test_keyset_pages_cover_everything_once(db: AsyncEngine, clock: FrozenClock) -> None:
    await write_script(db, clock)
    factory = create_session_factory(db)
    seen: list[int] = []
    cursor = None
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        while True:
            request = PageRequest.parse(SeqCursor.decode, limit=3, cursor=cursor)
            page = await list_audit_entries(
                uow, actor=AUDITOR, criteria=AuditFilter(), page=request
            )
            seen += [e.seq for e in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == [8, 7, 6, 5, 4, 3, 2, 1]


async def test_occurred_at_never_goes_backwards(db: AsyncEngine, clock: FrozenClock) -> None:
    factory = create_session_factory(db)
    clock.set(T0)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.audit.record(SYSTEM, AuditAction.USER_CREATED)
        await uow.commit()
    clock.set(T0 - timedelta(seconds=5))  # another host's clock, slightly behind
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        second = await uow.audit.record(SYSTEM, AuditAction.USER_UPDATED, entity_id="")
        await uow.commit()
    assert second.occurred_at == T0
    assert second.entity_id is None  # empty strings are stored as null (CSV round trip)
    assert (await verify(db, clock)).valid


async def test_verify_an_intact_chain_and_ranges(db: AsyncEngine, clock: FrozenClock) -> None:
    await write_script(db, clock)
    full = await verify(db, clock)
    assert (full.valid, full.from_seq, full.to_seq, full.checked) == (True, 1, 8, 8)
    middle = await verify(db, clock, from_seq=3, to_seq=6)
    assert (middle.valid, middle.checked) == (True, 4)
    beyond = await verify(db, clock, from_seq=5, to_seq=10)
    assert (beyond.valid, beyond.checked, beyond.first_broken_seq) == (False, 4, 9)
    async with SqlUnitOfWork(create_session_factory(db), clock=clock) as uow:
        head = await uow.audit_reader.head()
    assert head is not None
    assert full.head_hash == head[1]


async def tamper(engine: AsyncEngine, statement: str) -> None:
    """What a superuser could do: switch the append-only trigger off for the statements
    (separated by `;`)."""
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        for one in statement.split(";"):
            await conn.execute(text(one))
        await conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


@pytest.mark.parametrize(
    ("statement", "broken_at", "why"),
    [
        ("UPDATE audit_log SET details = '{\"n\": 1}' WHERE seq = 5", 5, "altered"),
        ("UPDATE audit_log SET actor_id = 'mallory' WHERE seq = 1", 1, "altered"),
        ("UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = 8", 8, "altered"),
        ("UPDATE audit_log SET occurred_at = occurred_at + interval '1 us' WHERE seq = 3", 3, ""),
        ("DELETE FROM audit_log WHERE seq = 4", 4, "missing"),
        ("DELETE FROM audit_log WHERE seq = 1", 1, "missing"),
        ("UPDATE audit_log SET seq = 100 WHERE seq = 6", 6, "missing"),
        # Every other field, and details that are not the `{}` that was hashed.
        ("UPDATE audit_log SET actor_role = 'admin' WHERE seq = 2", 2, "altered"),
        ("UPDATE audit_log SET actor_role = NULL WHERE seq = 2", 2, "altered"),
        ("UPDATE audit_log SET action = 'tip.viewed' WHERE seq = 2", 2, "altered"),
        ("UPDATE audit_log SET entity_type = NULL WHERE seq = 7", 7, "altered"),
        ("UPDATE audit_log SET entity_id = 't9' WHERE seq = 3", 3, "altered"),
        ("UPDATE audit_log SET province_code = '10' WHERE seq = 4", 4, "altered"),
        ("UPDATE audit_log SET request_id = NULL WHERE seq = 8", 8, "altered"),
        ("UPDATE audit_log SET details = 'null' WHERE seq = 2", 2, "altered"),
        ("UPDATE audit_log SET details = '[]' WHERE seq = 6", 6, "altered"),
        ("UPDATE audit_log SET prev_hash = repeat('0', 64) WHERE seq = 5", 5, "prev_hash"),
        # Two entries swapped: the first of them no longer links to the entry before.
        (
            "UPDATE audit_log SET seq = -seq WHERE seq IN (3, 4);"
            " UPDATE audit_log SET seq = CASE seq WHEN -3 THEN 4 ELSE 3 END WHERE seq < 0",
            3,
            "prev_hash",
        ),
    ],
)
async def test_tampering_is_reported_at_exactly_its_seq(
    db: AsyncEngine, clock: FrozenClock, statement: str, broken_at: int, why: str
) -> None:
    await write_script(db, clock)
    await tamper(db, statement)
    result = await verify(db, clock)
    assert result.valid is False
    assert result.first_broken_seq == broken_at
    assert result.checked == broken_at - 1
    assert why in (result.reason or "")


async def test_stopping_early_leaves_the_connection_usable(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    # The reader keeps the next batch in flight while one is checked; a break stops it
    # mid-way, and the unit of work's connection must still serve the next statements.
    await write_script(db, clock)
    await tamper(db, "UPDATE audit_log SET actor_id = 'mallory' WHERE seq = 3")
    async with SqlUnitOfWork(create_session_factory(db), clock=clock) as uow:
        broken = await verify_audit_chain(uow, actor=AUDITOR, batch_size=2)
        assert (broken.valid, broken.first_broken_seq) == (False, 3)
        assert await uow.audit_reader.head() is not None
        assert (await verify_audit_chain(uow, actor=AUDITOR, to_seq=2, batch_size=1)).valid
        async with aclosing(
            uow.audit_reader.stream(AuditFilter(), up_to_seq=8, batch_size=2)
        ) as batches:
            async for batch in batches:
                assert [stored[0] for stored in batch] == [1, 2]
                break
        assert await uow.audit_reader.hash_of(8) is not None


async def test_tricky_values_verify_and_export_after_a_round_trip(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    # Through jsonb and back: the verifier and the export work from the stored text.
    details: list[dict[str, DetailValue]] = [
        {"fields": ["record"], "label": 'ขอนแก่น "quoted" \\ /'},
        {"z": 1, "a": None, "n": {"b": [1, 2, "ข\n\t\x01\x1f"], "a": False}, "big": 2**40 // 10},
        {"emoji": "😀\u2028\u2029", "nested": [{"y": [], "x": {}}], "neg": -(2**31)},
        {},
    ]
    clock.set(T0)
    written = []
    async with SqlUnitOfWork(create_session_factory(db), clock=clock, request_id="r-ไทย") as uow:
        for index, item in enumerate(details):
            written.append(
                await uow.audit.record(
                    ALICE,
                    AuditAction.TIP_VIEWED,
                    entity_type="tip",
                    entity_id=f"t-{index}-\u0e01",
                    province_code="40",
                    details=item,
                )
            )
            clock.advance(timedelta(microseconds=1))
        await uow.commit()
    result = await verify(db, clock)
    assert (result.valid, result.checked, result.head_hash) == (True, 4, written[-1].hash)
    async with SqlUnitOfWork(create_session_factory(db), clock=clock) as uow:
        lines = [
            line
            async for chunk in stream_audit_export(
                uow, AuditExport(AuditFilter(), AuditExportFormat.NDJSON, 0, 4), batch_size=3
            )
            for line in chunk.split("\n")[:-1]
        ]
    for line, entry in zip(lines, written, strict=True):
        document = json.loads(line)
        assert document["details"] == entry.details
        expected = export_document(entry)
        expected["details"] = document["details"]  # in the order jsonb returns the keys
        assert line == json.dumps(expected, separators=(",", ":"), ensure_ascii=False)


async def test_a_range_after_a_deleted_entry_cannot_link(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    await write_script(db, clock)
    await tamper(db, "DELETE FROM audit_log WHERE seq = 4")
    assert (await verify(db, clock, from_seq=5)).first_broken_seq == 5
    assert (await verify(db, clock, from_seq=1, to_seq=3)).valid


async def test_fifty_concurrent_units_of_work_keep_one_gap_free_chain(
    db: AsyncEngine, database_url: str, clock: FrozenClock
) -> None:
    # Fifty connections of their own, all appending at once; every fifth one rolls back.
    engine = create_engine(database_url, pool_size=25)
    factory = create_session_factory(engine)

    async def work(n: int) -> list[AuditEntry]:
        async with SqlUnitOfWork(factory, clock=clock, request_id=f"req-{n:04d}") as uow:
            first = await uow.audit.record(SYSTEM, AuditAction.TIP_VIEWED, entity_id=n)
            second = await uow.audit.record(SYSTEM, AuditAction.TIP_LINKED, entity_id=n)
            if n % 5 == 0:
                await uow.rollback()
                return []
            await uow.commit()
            return [first, second]

    try:
        results = await asyncio.gather(*(work(n) for n in range(50)))
    finally:
        await engine.dispose()
    written = sorted(e.seq for entries in results for e in entries)
    assert written == list(range(1, 81))
    for first, second in (r for r in results if r):
        assert second.seq == first.seq + 1  # a transaction's entries are consecutive
        assert second.prev_hash == first.hash
    result = await verify(db, clock)
    assert (result.valid, result.checked, result.to_seq) == (True, 80, 80)
    async with db.connect() as conn:
        forks = await conn.scalar(
            text("SELECT count(*) - count(DISTINCT prev_hash) FROM audit_log")
        )
    assert forks == 0


async def test_stream_returns_batches_in_seq_order(db: AsyncEngine, clock: FrozenClock) -> None:
    await write_script(db, clock)
    async with SqlUnitOfWork(create_session_factory(db), clock=clock) as uow:
        batches = [
            [stored[0] for stored in batch]
            async for batch in uow.audit_reader.stream(
                AuditFilter.build(action="tip."), up_to_seq=4, batch_size=2
            )
        ]
    assert batches == [[2, 3], [4]]


async def test_ids_that_look_like_national_ids_stay_out(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock, request_id="1101700203451") as uow:
        entry = await uow.audit.record(
            SYSTEM, AuditAction.USER_UPDATED, entity_id="a1b2c3d4e5f60718293a4b5c"
        )
        assert entry.request_id is None  # a client-chosen X-Request-ID is dropped, not stored
        with pytest.raises(AuditDetailsRejected):
            await uow.audit.record(
                SYSTEM,
                AuditAction.USER_UPDATED,
                entity_type="person",
                entity_id="1-1017-00203-45-1",
            )
        await uow.commit()
    async with SqlUnitOfWork(
        factory, clock=clock, request_id="a1234567890123b4c5d6e7f8a9b0c1d2"
    ) as uow:
        generated = await uow.audit.record(SYSTEM, AuditAction.USER_UPDATED)
        await uow.commit()
    assert generated.request_id == "a1234567890123b4c5d6e7f8a9b0c1d2"
