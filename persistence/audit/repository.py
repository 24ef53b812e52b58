"""The audit table and the one writer of the hash chain.

Writers take a transaction-scoped advisory lock before reading the chain head, so
entries are appended one at a time across every connection and API process: the chain
never forks, and because the lock is held until commit or rollback, sequence numbers
have no gaps (a rolled-back entry frees its number for the next writer).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    Table,
    func,
    insert,
    literal_column,
    text,
)
from sqlalchemy import select as core_select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.audit.model import (
    GENESIS_HASH,
    AuditAction,
    AuditActor,
    AuditEntry,
    AuditFilter,
    DetailValue,
    next_entry,
)
from domain.clock import Clock
from domain.pagination import PageRequest, SeqCursor
from persistence.audit.tables import AuditRow

#: Key of the advisory lock that serialises audit writers (arbitrary, fixed forever).
AUDIT_CHAIN_LOCK = 0x0D0A_7A00_A0D1_7001


# -- rows <-> entities (the only place that knows both) -----------------------------------


def _to_entity(row: AuditRow | Row[Any]) -> AuditEntry:
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


def _to_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(**_values(entry))


def _values(entry: AuditEntry) -> dict[str, Any]:
    """The column values of an entry (appended with a Core insert: no ORM flush)."""
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
        details=entry.details,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
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

    async def _lock_and_read_head(self) -> tuple[int, str, datetime | None]:
        await self._session.exec(select(func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)))
        query = (
            select(AuditRow.seq, AuditRow.hash, AuditRow.occurred_at)
            .order_by(col(AuditRow.seq).desc())
            .limit(1)
        )
        row = (await self._session.exec(query)).first()
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
        if self._head is None:
            self._head = await self._lock_and_read_head()
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
        connection = await self._session.connection()
        await connection.execute(insert(_table()).values(**_values(entry)))
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


def _table() -> Table:
    table = AuditRow.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


#: `split_part(action, '.', 1)`, spelled with literals so it matches the expression index
#: `ix_audit_log_action_family_seq` even in a prepared statement's generic plan.
ACTION_FAMILY = func.split_part(
    literal_column("audit_log.action"), literal_column("'.'"), literal_column("1")
)


def filtered(statement: Select[Any], criteria: AuditFilter) -> Select[Any]:
    """Add the WHERE clauses of an auditor's filter (each one backed by an index)."""
    c = _table().c
    if criteria.actor_id is not None:
        statement = statement.where(c.actor_id == criteria.actor_id)
    if criteria.action_exact is not None:
        statement = statement.where(c.action == criteria.action_exact)
    prefix = criteria.action_prefix
    if prefix is not None:
        statement = statement.where(
            ACTION_FAMILY.op("=")(prefix.split(".", 1)[0]),
            c.action.startswith(prefix, autoescape=True),
        )
    if criteria.entity_type is not None:
        statement = statement.where(c.entity_type == criteria.entity_type)
    if criteria.entity_id is not None:
        statement = statement.where(c.entity_id == criteria.entity_id)
    if criteria.province_code is not None:
        statement = statement.where(c.province_code == criteria.province_code)
    # occurred_at never decreases along the chain (see SqlAuditLog.record), so the entries
    # of a time range are one run of seqs: bound seq by the first and last of them (two
    # lookups in ix_audit_log_occurred_at_seq) and the newest-first scan of the primary key
    # reads only that run, however old the range is. The time conditions stay, so a row
    # outside the range is never returned.
    if criteria.occurred_from is not None:
        first = (
            core_select(c.seq)
            .where(c.occurred_at >= criteria.occurred_from)
            .order_by(c.occurred_at, c.seq)
            .limit(1)
            .scalar_subquery()
        )
        statement = statement.where(c.occurred_at >= criteria.occurred_from, c.seq >= first)
    if criteria.occurred_to is not None:
        last = (
            core_select(c.seq)
            .where(c.occurred_at < criteria.occurred_to)
            .order_by(c.occurred_at.desc(), c.seq.desc())
            .limit(1)
            .scalar_subquery()
        )
        statement = statement.where(c.occurred_at < criteria.occurred_to, c.seq <= last)
    return statement


def page_statement(criteria: AuditFilter, *, before_seq: int | None, limit: int) -> Select[Any]:
    """Newest first: `... ORDER BY seq DESC LIMIT n` (bench/audit_indexes.py EXPLAINs it)."""
    table = _table()
    statement = filtered(core_select(table), criteria)
    if before_seq is not None:
        statement = statement.where(table.c.seq < before_seq)
    return statement.order_by(table.c.seq.desc()).limit(limit)


def export_statement(criteria: AuditFilter, *, up_to_seq: int) -> Select[Any]:
    table = _table()
    statement = filtered(core_select(table), criteria).where(table.c.seq <= up_to_seq)
    return statement.order_by(table.c.seq)


class SqlAuditReader:
    """Reads the chain with Core statements (rows, not ORM objects: nothing accumulates
    in the session's identity map however many entries pass through)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _connection(self) -> AsyncConnection:
        connection = await self._session.connection()
        # Plan each query for its actual values: a generic plan of a prepared statement
        # cannot tell a rare actor from a frequent one and may pick a poor index.
        await connection.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        return connection

    async def page(self, criteria: AuditFilter, page: PageRequest[SeqCursor]) -> list[AuditEntry]:
        connection = await self._connection()
        before_seq = page.after.seq if page.after is not None else None
        result = await connection.execute(
            page_statement(criteria, before_seq=before_seq, limit=page.fetch)
        )
        return [_to_entity(row) for row in result]

    async def head(self) -> tuple[int, str] | None:
        table = _table()
        statement = core_select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)
        row = (await (await self._session.connection()).execute(statement)).first()
        return (row[0], row[1]) if row else None

    async def hash_of(self, seq: int) -> str | None:
        table = _table()
        statement = core_select(table.c.hash).where(table.c.seq == seq)
        row = (await (await self._session.connection()).execute(statement)).first()
        return row[0] if row else None

    async def chain(
        self, from_seq: int, to_seq: int, *, batch_size: int
    ) -> AsyncIterator[list[AuditEntry]]:
        """Keyset batches over the primary key: each one a short index range scan."""
        table = _table()
        connection = await self._session.connection()
        next_seq = from_seq
        while next_seq <= to_seq:
            statement = (
                core_select(table)
                .where(table.c.seq >= next_seq, table.c.seq <= to_seq)
                .order_by(table.c.seq)
                .limit(batch_size)
            )
            batch = [_to_entity(row) for row in await connection.execute(statement)]
            if not batch:
                return
            yield batch
            next_seq = batch[-1].seq + 1

    async def stream(
        self, criteria: AuditFilter, *, up_to_seq: int, batch_size: int
    ) -> AsyncIterator[list[AuditEntry]]:
        """A server-side cursor (asyncpg, inside the session's transaction), batch by batch."""
        connection = await self._connection()
        statement = export_statement(criteria, up_to_seq=up_to_seq).execution_options(
            yield_per=batch_size
        )
        result = await connection.stream(statement)
        try:
            async for partition in result.partitions(batch_size):
                yield [_to_entity(row) for row in partition]
        finally:
            await result.close()
