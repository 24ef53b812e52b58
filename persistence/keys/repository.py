"""Key maintenance: re-sealing and re-hashing, over the columns each feature declares.

The features' repositories declare their sealed columns (`SEALED`) and keyed hashes
(`KEYED_HASHES`), with the associated data each value is bound to; this repository only
walks them. Each call handles one batch of rows, read `FOR UPDATE` in id order after a
keyset cursor, in the caller's transaction: a request that changes one of those rows
waits for the batch's commit (milliseconds), and the batch never overwrites a newer
value, because it re-reads the row under the lock. Values already under the current key
are skipped by the query itself, which makes every run resumable and idempotent.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.keys.model import Batch
from persistence.crypto import (
    DecryptionFailed,
    KeyedHashColumn,
    KeyRing,
    Sealed,
    SealedColumn,
    pack,
    unpack,
)
from persistence.investigations.repository import SEALED as INVESTIGATIONS_SEALED
from persistence.tips.repository import KEYED_HASHES as TIPS_HASHES
from persistence.tips.repository import SEALED as TIPS_SEALED
from persistence.volunteers.repository import KEYED_HASHES as VOLUNTEERS_HASHES
from persistence.volunteers.repository import SEALED as VOLUNTEERS_SEALED
from persistence.webhooks.repository import SEALED as WEBHOOKS_SEALED

#: Every sealed column of every feature. A feature that seals a new column declares it in
#: its repository's SEALED (tests/keys checks that every bytea column is listed).
SEALED_COLUMNS: dict[str, SealedColumn] = {
    c.name: c for c in (*TIPS_SEALED, *INVESTIGATIONS_SEALED, *VOLUNTEERS_SEALED, *WEBHOOKS_SEALED)
}
KEYED_HASH_COLUMNS: dict[str, KeyedHashColumn] = {
    c.name: c for c in (*TIPS_HASHES, *VOLUNTEERS_HASHES)
}


def _open(keyring: KeyRing, column: SealedColumn, row: Any) -> str:
    value = bytes(getattr(row, column.column))
    sealed = (
        Sealed(str(getattr(row, column.kid_column)), value) if column.kid_column else unpack(value)
    )
    return keyring.open(sealed, aad=column.aad(row))


def _not_current(column: SealedColumn) -> str:
    """SQL: the value is not sealed under the current key (`:kid`, `:prefix`)."""
    if column.kid_column:
        return f"{column.kid_column} IS DISTINCT FROM :kid"
    # pack(): one length byte, then the key id.
    return f"substring({column.column} from 1 for :prefix_length) <> :prefix"


class SqlKeyMaintenance:
    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self._session = session
        self._keyring = keyring

    @property
    def data_key_id(self) -> str:
        return self._keyring.current_kid

    @property
    def hash_key_id(self) -> str:
        return self._keyring.hash_kid

    def sealed_columns(self) -> list[str]:
        return list(SEALED_COLUMNS)

    def keyed_hash_columns(self) -> list[str]:
        return [name for name, c in KEYED_HASH_COLUMNS.items() if c.source is not None]

    def presented_hash_columns(self) -> list[str]:
        return [name for name, c in KEYED_HASH_COLUMNS.items() if c.source is None]

    async def _rows(
        self,
        table: str,
        columns: list[str],
        where: str,
        after: uuid.UUID | None,
        limit: int,
        params: dict[str, Any],
    ) -> list[Any]:
        selected = ", ".join(dict.fromkeys(["id", *columns]))
        after_clause = "" if after is None else " AND id > :after"
        statement = text(
            f"SELECT {selected} FROM {table} WHERE {where}{after_clause} "  # noqa: S608 - declared names
            "ORDER BY id LIMIT :limit FOR UPDATE"
        )
        values = {**params, "limit": limit} | ({} if after is None else {"after": after})
        return list((await self._session.exec(statement.bindparams(**values))).all())  # type: ignore[call-overload]

    async def _update(self, table: str, row_id: uuid.UUID, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        statement = text(f"UPDATE {table} SET {assignments} WHERE id = :row_id")  # noqa: S608
        await self._session.exec(statement.bindparams(**values, row_id=row_id))  # type: ignore[call-overload]

    async def reseal(self, column: str, *, after: uuid.UUID | None, limit: int) -> Batch:
        spec = SEALED_COLUMNS[column]
        kid = self._keyring.current_kid
        prefix = bytes([len(kid.encode())]) + kid.encode()
        wanted = [*spec.needs, spec.column, *([spec.kid_column] if spec.kid_column else [])]
        rows = await self._rows(
            spec.table,
            wanted,
            f"{spec.column} IS NOT NULL AND {_not_current(spec)}",
            after,
            limit,
            {"kid": kid} if spec.kid_column else {"prefix": prefix, "prefix_length": len(prefix)},
        )
        done = unreadable = 0
        for row in rows:
            try:
                plain = _open(self._keyring, spec, row)
            except DecryptionFailed:
                unreadable += 1
                continue
            sealed = self._keyring.seal(plain, aad=spec.aad(row))
            values: dict[str, Any] = (
                {spec.column: sealed.blob, spec.kid_column: sealed.kid}
                if spec.kid_column
                else {spec.column: pack(sealed)}
            )
            await self._update(spec.table, row.id, values)
            done += 1
        return Batch(
            last_id=rows[-1].id if rows else None, seen=len(rows), done=done, unreadable=unreadable
        )

    async def rehash(self, column: str, *, after: uuid.UUID | None, limit: int) -> Batch:
        spec = KEYED_HASH_COLUMNS[column]
        source = spec.source
        if source is None:
            return Batch(last_id=None, seen=0, done=0)
        wanted = [*source.needs, source.column, *([source.kid_column] if source.kid_column else [])]
        rows = await self._rows(
            spec.table,
            wanted,
            f"{spec.column} IS NOT NULL AND {spec.kid_column} IS DISTINCT FROM :kid",
            after,
            limit,
            {"kid": self._keyring.hash_kid},
        )
        done = unreadable = 0
        for row in rows:
            try:
                value = spec.to_value(_open(self._keyring, source, row))
            except DecryptionFailed:
                unreadable += 1
                continue
            digest = self._keyring.keyed_hash(value, purpose=spec.purpose)
            await self._update(
                spec.table, row.id, {spec.column: digest, spec.kid_column: self._keyring.hash_kid}
            )
            done += 1
        return Batch(
            last_id=rows[-1].id if rows else None, seen=len(rows), done=done, unreadable=unreadable
        )

    async def hashes_by_key(self, column: str) -> dict[str, int]:
        spec = KEYED_HASH_COLUMNS[column]
        statement = text(
            f"SELECT coalesce({spec.kid_column}, '') AS kid, count(*) AS n FROM {spec.table} "  # noqa: S608
            f"WHERE {spec.column} IS NOT NULL GROUP BY 1 ORDER BY 1"
        )
        rows = (await self._session.exec(statement)).all()  # type: ignore[call-overload]
        return {str(row.kid): int(row.n) for row in rows}
