"""The asyncpg connection under a session, for hot reads.

A repository may run a hot read straight on the asyncpg connection the session has
checked out: no statement compilation, no ORM identity map, no greenlet hop. It is the
same connection, so a read made after the unit of work has written runs inside its
transaction; a read made before any write runs outside one (as a single statement, which
is all a read needs) and spares the BEGIN/ROLLBACK round trips a read-only request would
otherwise pay. Statements that must be part of the unit of work's transaction use
`driver_transaction`, which begins it as SQLAlchemy would.

Keep the SQL here to fixed, parameterised statements ($1, $2, ...): asyncpg prepares and
caches them per connection.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg `Connection` the session uses (checked out on first use).

    ORM changes still pending in the session are flushed first, so a read on the driver
    sees what the unit of work wrote before it, as an ORM query (autoflush) would.
    """
    if session.new or session.dirty or session.deleted:
        await session.flush()
    held = _held(session)
    if held is not None:
        return held[1].driver_connection
    return (await _check_out(session)).driver_connection


async def driver_transaction(session: AsyncSession) -> Any:
    """The asyncpg `Connection`, inside the session's transaction (begun now if it has not
    been): for statements that must commit or roll back with the unit of work, such as an
    audit append, or that need `SET LOCAL`. The transaction stays the session's: its
    commit or rollback ends it, exactly as if an ORM statement had begun it."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    held = _held(session)
    raw = held[1] if held is not None else await _check_out(session)
    adapted = raw.dbapi_connection
    # SQLAlchemy's asyncpg adapter begins its transaction lazily, on the first statement
    # it runs; a statement run straight on the driver would not begin it (and would
    # autocommit). Begin it the way the adapter does.
    if getattr(adapted, "_transaction", None) is None:
        start = getattr(adapted, "_start_transaction", None)
        if start is not None:
            await start()
        else:  # pragma: no cover - another adapter: any statement through it begins
            await (await session.connection()).exec_driver_sql("SELECT 1")
    return raw.driver_connection


#: Where a session keeps the connection its current transaction holds (`Session.info`).
_HELD = "duangta.driver.held"


def _held(session: AsyncSession) -> tuple[weakref.ref[Any], Any] | None:
    """(transaction, raw connection) when the session's current transaction already
    checked the connection out for the driver: the same object, without the greenlet hop
    and the session and pool calls of `session.connection()` (several per request, issue
    10). Only while that very transaction is still the session's and active: once it
    ended (commit, rollback, close, invalidate) the connection went back to the pool and
    may serve another request, so it is looked up afresh."""
    sync = session.sync_session
    held: tuple[weakref.ref[Any], Any] | None = sync.info.get(_HELD)
    if held is None:
        return None
    transaction = sync.get_transaction()
    if transaction is None or not transaction.is_active:
        return None
    return held if held[0]() is transaction else None


async def _check_out(session: AsyncSession) -> Any:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    # A weak reference: the session's info holding its own transaction would be a
    # reference cycle, left to the cyclic collector once per request.
    transaction = session.sync_session.get_transaction()
    if transaction is not None:
        session.sync_session.info[_HELD] = (weakref.ref(transaction), raw)
    return raw


class RecordView:
    """Attribute access over an asyncpg Record, so one row -> entity mapping serves ORM
    rows and driver records alike."""

    __slots__ = ("_record",)

    def __init__(self, record: Any) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        try:
            return self._record[name]
        except KeyError:
            raise AttributeError(name) from None


class Params:
    """Numbered placeholders for a statement built from optional parts:
    `p = Params(); f"... = {p(value)}"`, then `connection.fetch(sql, *p.values)`."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"
