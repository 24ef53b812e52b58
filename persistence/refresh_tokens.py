"""Refresh tokens: the table (hashes only, never the values) and its repository."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, String, Uuid, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.sessions import RefreshToken


class RefreshTokenRow(SQLModel, table=True):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_family_id", "family_id"),
        Index("ix_refresh_tokens_account_id", "account_id"),
    )

    id: uuid.UUID = Field(primary_key=True)
    account_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("accounts.id"), nullable=False))
    family_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    parent_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))

    def to_domain(self) -> RefreshToken:
        return RefreshToken(
            id=self.id,
            account_id=self.account_id,
            family_id=self.family_id,
            parent_id=self.parent_id,
            token_hash=self.token_hash,
            issued_at=self.issued_at,
            expires_at=self.expires_at,
            used_at=self.used_at,
            revoked_at=self.revoked_at,
        )


class SqlRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: RefreshToken) -> None:
        self._session.add(
            RefreshTokenRow(
                id=token.id,
                account_id=token.account_id,
                family_id=token.family_id,
                parent_id=token.parent_id,
                token_hash=token.token_hash,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                used_at=token.used_at,
                revoked_at=token.revoked_at,
            )
        )
        await self._session.flush()

    async def get_by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        query = (
            select(RefreshTokenRow)
            .where(RefreshTokenRow.token_hash == token_hash)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.exec(query)).first()
        return row.to_domain() if row else None

    async def mark_used(self, token_id: uuid.UUID, at: datetime) -> None:
        await self._session.exec(
            update(RefreshTokenRow)
            .where(col(RefreshTokenRow.id) == token_id)
            .values(used_at=at)
            .execution_options(synchronize_session=False)
        )

    async def _revoke(self, condition: object, at: datetime) -> int:
        result = await self._session.exec(
            update(RefreshTokenRow)
            .where(condition, col(RefreshTokenRow.revoked_at).is_(None))  # type: ignore[arg-type]
            .values(revoked_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)

    async def revoke_family(self, family_id: uuid.UUID, at: datetime) -> int:
        return await self._revoke(col(RefreshTokenRow.family_id) == family_id, at)

    async def revoke_for_account(self, account_id: uuid.UUID, at: datetime) -> int:
        return await self._revoke(col(RefreshTokenRow.account_id) == account_id, at)
