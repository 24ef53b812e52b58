"""The audit table and the one writer of the hash chain.

Writers take a transaction-scoped advisory lock before reading the chain head, so
entries are appended one at a time across every connection and API process: the chain
never forks, and because the lock is held until commit or rollback, sequence numbers
have no gaps (a rolled-back entry frees its number for the next writer).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from contextlib import aclosing, suppress
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.audit.model import (
    GENESIS_HASH,
    AuditAction,
    AuditActor,
    AuditEntry,
    AuditFilter,
    DetailValue,
    StoredEntry,
    next_entry,
)
from domain.clock import Clock
from domain.pagination import PageRequest, SeqCursor
from persistence.audit.tables import AuditRow
from persistence.driver import Params, RecordView, driver_connection, driver_transaction

#: Key of the advisory lock that serialises audit writers (arbitrary, fixed forever).
AUDIT_CHAIN_LOCK = 0x0D0A_7A00_A0D1_7001


# -- rows <-> entities (the only place that knows both) -----------------------------------


def _to_entity(row: AuditRow | Row[Any] | RecordView) -> AuditEntry:
    """From an ORM row, or from a Core row of the readers (same column names)."""
    return AuditEntry(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        province_code=row.province_code,
        request_id=row.request_id,
        details=row.details,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _values(entry: AuditEntry) -> dict[str, Any]:
    """The column values of an entry, in `_INSERT`'s order (details as JSON text: the
    driver has no codec for jsonb)."""
    return dict(
        seq=entry.seq,
        occurred_at=entry.occurred_at,
        actor_id=entry.actor_id,
        actor_role=entry.actor_role,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        province_code=entry.province_code,
        request_id=entry.request_id,
        details=json.dumps(entry.details, ensure_ascii=False),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


#: Takes `AUDIT_CHAIN_LOCK` and then reads the head with a fresh snapshot, in one round trip
#: (migration 0019: the lock and the head were two statements, both inside the lock).
_LOCK_AND_HEAD = "SELECT seq, hash, occurred_at FROM audit_chain_head()"
_INSERT = (
    "INSERT INTO audit_log (seq, occurred_at, actor_id, actor_role, action, entity_type,"
    " entity_id, province_code, request_id, details, prev_hash, hash)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12)"
)


class SqlAuditLog:
    """Appends audit entries inside the unit of work's transaction."""

    def __init__(self, session: AsyncSession, clock: Clock, request_id: str | None) -> None:
        self._session = session
        self._clock = clock
        self._request_id = request_id
        self._head: tuple[int, str, datetime | None] | None = None

    def transaction_ended(self) -> None:
        """Forget the cached chain head (the lock was released with the transaction)."""
        self._head = None

    async def _lock_and_read_head(self, connection: Any) -> tuple[int, str, datetime | None]:
        row = await connection.fetchrow(_LOCK_AND_HEAD)
        return (row[0], row[1], row[2]) if row else (0, GENESIS_HASH, None)

    async def record(
        self,
        actor: AuditActor,
        action: AuditAction,
        *,
        entity_type: str | None = None,
        entity_id: object | None = None,
        province_code: str | None = None,
        details: dict[str, DetailValue] | None = None,
    ) -> AuditEntry:
        # On the driver, in the unit of work's transaction (begun here if nothing has
        # written yet): two prepared statements, lock and head, insert; then the commit.
        connection = await driver_transaction(self._session)
        if self._head is None:
            self._head = await self._lock_and_read_head(connection)
        entry = next_entry(
            self._head,
            at=self._clock.now(),
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            province_code=province_code,
            request_id=self._request_id,
            details=details,
        )
        await connection.execute(_INSERT, *_values(entry).values())
        self._head = (entry.seq, entry.hash, entry.occurred_at)
        return entry

    async def viewed(
        self,
        actor: AuditActor,
        entity_type: str,
        entity_id: object,
        *,
        province_code: str | None = None,
        fields: list[str] | None = None,
    ) -> AuditEntry:
        details: dict[str, DetailValue] = {}
        if fields:
            details["fields"] = list(fields)
        return await self.record(
            actor,
            AuditAction.viewed(entity_type),
            entity_type=entity_type,
            entity_id=entity_id,
            province_code=province_code,
            details=details,
        )


_COLUMNS = (
    "seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id, province_code,"
    " request_id, details, prev_hash, hash"
)


def _record_to_entity(record: Any) -> AuditEntry:
    """From a driver record (`_COLUMNS` in order): jsonb arrives as text (the driver has
    no codec for it). By position: verify and export build one per entry."""
    details = record[9]
    return AuditEntry(
        seq=record[0],
        occurred_at=record[1],
        actor_id=record[2],
        actor_role=record[3],
        action=record[4],
        entity_type=record[5],
        entity_id=record[6],
        province_code=record[7],
        request_id=record[8],
        details=json.loads(details) if isinstance(details, str) else details,
        prev_hash=record[10],
        hash=record[11],
    )


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return escaped + "%"


def filter_sql(criteria: AuditFilter, p: Params) -> list[str]:
    """The WHERE conditions of an auditor's filter (each one backed by an index)."""
    conditions = []
    if criteria.actor_id is not None:
        conditions.append(f"actor_id = {p(criteria.actor_id)}")
    if criteria.action_exact is not None:
        conditions.append(f"action = {p(criteria.action_exact)}")
    prefix = criteria.action_prefix
    if prefix is not None:
        # `split_part(action, '.', 1)` spelled with literals, so that it matches the
        # expression index `ix_audit_log_action_family_seq` even in a generic plan.
        conditions.append(f"split_part(action, '.', 1) = {p(prefix.split('.', 1)[0])}")
        conditions.append(f"action LIKE {p(_like_prefix(prefix))} ESCAPE '/'")
    if criteria.entity_type is not None:
        conditions.append(f"entity_type = {p(criteria.entity_type)}")
    if criteria.entity_id is not None:
        conditions.append(f"entity_id = {p(criteria.entity_id)}")
    if criteria.province_code is not None:
        conditions.append(f"province_code = {p(criteria.province_code)}")
    # occurred_at never decreases along the chain (see SqlAuditLog.record), so the entries
    # of a time range are one run of seqs: bound seq by the first and last of them (two
    # lookups in ix_audit_log_occurred_at_seq) and the newest-first scan of the primary key
    # reads only that run, however old the range is. The time conditions stay, so a row
    # outside the range is never returned.
    if criteria.occurred_from is not None:
        at = p(criteria.occurred_from)
        conditions.append(f"occurred_at >= {at}::timestamptz")
        conditions.append(
            f"seq >= (SELECT seq FROM audit_log WHERE occurred_at >= {at}::timestamptz"  # noqa: S608
            " ORDER BY occurred_at, seq LIMIT 1)"
        )
    if criteria.occurred_to is not None:
        at = p(criteria.occurred_to)
        conditions.append(f"occurred_at < {at}::timestamptz")
        conditions.append(
            f"seq <= (SELECT seq FROM audit_log WHERE occurred_at < {at}::timestamptz"  # noqa: S608
            " ORDER BY occurred_at DESC, seq DESC LIMIT 1)"
        )
    return conditions


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def page_sql(criteria: AuditFilter, *, before_seq: int | None, limit: int) -> tuple[str, list[Any]]:
    """Newest first: `... ORDER BY seq DESC LIMIT n` (bench/audit_indexes.py EXPLAINs it)."""
    p = Params()
    conditions = filter_sql(criteria, p)
    if before_seq is not None:
        conditions.append(f"seq < {p(before_seq)}")
    sql = f"SELECT {_COLUMNS} FROM audit_log{_where(conditions)} ORDER BY seq DESC LIMIT {p(limit)}"  # noqa: S608
    return sql, p.values


#: `_COLUMNS` for verification and export (`StoredEntry`, in `EXPORT_FIELDS` order), with
#: details as JSON text: the domain parses each distinct text once (most entries repeat a
#: few details), where the session's connection would decode every row's jsonb to a dict.
_STORED_COLUMNS = (
    "seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id, province_code,"
    " request_id, details::text AS details, prev_hash, hash"
)


def export_sql(criteria: AuditFilter, *, up_to_seq: int) -> tuple[str, list[Any]]:
    p = Params()
    conditions = [*filter_sql(criteria, p), f"seq <= {p(up_to_seq)}"]
    return f"SELECT {_STORED_COLUMNS} FROM audit_log{_where(conditions)} ORDER BY seq", p.values  # noqa: S608


_CHAIN = f"SELECT {_STORED_COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq"  # noqa: S608
_NEWEST = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
_HASH_OF = "SELECT hash FROM audit_log WHERE seq = $1"
#: Plan each query for its actual values: a generic plan of a prepared statement cannot
#: tell a rare actor from a frequent one and may pick a poor index.
_CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"


#: No filter: the whole log.
_EVERYTHING = AuditFilter()


class SqlAuditReader:
    """Reads the chain straight on the driver (records, not ORM objects: nothing
    accumulates in the session however many entries pass through). Verification and
    export get the rows as they are (`StoredEntry`), in the unit of work's transaction, so
    a whole chain or export is read from one snapshot."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _filtered(self) -> Any:
        """The driver, in the unit of work's transaction with custom plans (`SET LOCAL`)."""
        connection = await driver_transaction(self._session)
        await connection.execute(_CUSTOM_PLANS)
        return connection

    async def page(self, criteria: AuditFilter, page: PageRequest[SeqCursor]) -> list[AuditEntry]:
        before_seq = page.after.seq if page.after is not None else None
        sql, values = page_sql(criteria, before_seq=before_seq, limit=page.fetch)
        if criteria != _EVERYTHING:
            connection = await self._filtered()
        else:
            # The whole log, newest first: a backward scan of the primary key whatever the
            # values, so no custom plan is needed, and one statement needs no transaction
            # (BEGIN, SET LOCAL and ROLLBACK were three round trips of four).
            connection = await driver_connection(self._session)
        return [_record_to_entity(record) for record in await connection.fetch(sql, *values)]

    async def head(self) -> tuple[int, str] | None:
        connection = await driver_connection(self._session)
        row = await connection.fetchrow(_NEWEST)
        return (row[0], row[1]) if row else None

    async def hash_of(self, seq: int) -> str | None:
        connection = await driver_connection(self._session)
        value: str | None = await connection.fetchval(_HASH_OF, seq)
        return value

    async def chain(
        self, from_seq: int, to_seq: int, *, batch_size: int
    ) -> AsyncGenerator[list[StoredEntry], None]:
        """The rows as they are (`StoredEntry`: `_STORED_COLUMNS`), through a
        server-side cursor over the primary key, read ahead (see `_read_ahead`)."""
        connection = await driver_transaction(self._session)
        cursor = await connection.cursor(_CHAIN, from_seq, to_seq)
        async with aclosing(_read_ahead(cursor, batch_size)) as batches:
            async for batch in batches:
                yield batch

    async def stream(
        self, criteria: AuditFilter, *, up_to_seq: int, batch_size: int
    ) -> AsyncGenerator[list[StoredEntry], None]:
        """A server-side cursor (asyncpg, inside the session's transaction), read ahead."""
        sql, values = export_sql(criteria, up_to_seq=up_to_seq)
        connection = await self._filtered()
        cursor = await connection.cursor(sql, *values)
        async with aclosing(_read_ahead(cursor, batch_size)) as batches:
            async for batch in batches:
                yield batch


async def _read_ahead(cursor: Any, batch_size: int) -> AsyncGenerator[list[StoredEntry], None]:
    """The cursor's batches, the next one always being fetched while the caller works on
    the current one: PostgreSQL reads and sends rows while this process hashes or encodes
    (verification and export are CPU-bound here; a batch waited for is time lost).

    The fetch in flight is awaited, never cancelled, when the caller stops early, so the
    connection is free again when this generator is closed (close it: `aclosing`)."""
    pending = asyncio.ensure_future(cursor.fetch(batch_size))
    try:
        while batch := await pending:
            pending = asyncio.ensure_future(cursor.fetch(batch_size))
            await asyncio.sleep(0)  # let the fetch send its request before the caller works
            yield batch
    finally:
        if not pending.done():
            with suppress(Exception):
                await pending
