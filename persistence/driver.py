"""The asyncpg connection under a session, for hot reads.

A repository may run a hot read straight on the asyncpg connection the session has
checked out: no statement compilation, no ORM identity map, no greenlet hop. It is the
same connection, so a read made after the unit of work has written runs inside its
transaction; a read made before any write runs outside one (as a single statement, which
is all a read needs) and spares the BEGIN/ROLLBACK round trips a read-only request would
otherwise pay.

Keep the SQL here to fixed, parameterised statements ($1, $2, ...): asyncpg prepares and
caches them per connection.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg `Connection` the session uses (checked out on first use)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


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
