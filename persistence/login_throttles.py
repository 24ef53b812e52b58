"""Login throttles of usernames without a usable account, keyed by a keyed hash.

The username someone typed is never stored: rows are addressed by an HMAC under the
data hash key, so the table does not become a list of guessed (or mistyped) names.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, String
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.sessions import LoginThrottle
from persistence.crypto import KeyRing


class LoginThrottleRow(SQLModel, table=True):
    __tablename__ = "login_throttles"

    key_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    failures: int = Field(sa_column=Column(Integer, nullable=False, server_default="0"))
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), index=True)
    )


class SqlLoginThrottleRepository:
    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self._session = session
        self._keyring = keyring

    def _key(self, username: str) -> str:
        return self._keyring.keyed_hash(username, purpose="login_throttle")

    async def get_for_update(self, username: str) -> LoginThrottle:
        key = self._key(username)
        await self._session.exec(
            insert(LoginThrottleRow)
            .values(key_hash=key, failures=0)
            .on_conflict_do_nothing(index_elements=["key_hash"])
        )
        row = (
            await self._session.exec(
                select(LoginThrottleRow)
                .where(LoginThrottleRow.key_hash == key)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).one()
        return LoginThrottle(failures=row.failures, locked_until=row.locked_until)

    async def save(self, username: str, throttle: LoginThrottle) -> None:
        row = await self._session.get(LoginThrottleRow, self._key(username))
        if row is None:
            raise LookupError("save() without get_for_update()")
        row.failures, row.locked_until = throttle.failures, throttle.locked_until
        self._session.add(row)
        await self._session.flush()
