"""Accounts: the table and its repository."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, Index, String, and_, or_, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.accounts import Account, UsernameTaken
from domain.policy import Role


class AccountRow(SQLModel, table=True):
    __tablename__ = "accounts"
    __table_args__ = (
        # The account list pages by (created_at, id) DESC, optionally filtered.
        Index("ix_accounts_created_at_id", text("created_at DESC"), text("id DESC")),
        Index("ix_accounts_role_created_at_id", "role", text("created_at DESC"), text("id DESC")),
        Index(
            "ix_accounts_province_code_created_at_id",
            "province_code",
            text("created_at DESC"),
            text("id DESC"),
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    username: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    display_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    role: str = Field(max_length=32, index=True)
    province_code: str | None = Field(
        default=None, foreign_key="provinces.code", max_length=2, index=True
    )
    agency_code: str | None = Field(default=None, max_length=32)
    is_active: bool = True
    must_change_password: bool = False
    password_hash: str | None = None
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    version: int = 1

    def to_domain(self) -> Account:
        return Account(
            id=self.id,
            username=self.username,
            display_name=self.display_name,
            role=Role(self.role),
            password_hash=self.password_hash,
            created_at=self.created_at,
            updated_at=self.updated_at,
            email=self.email,
            province_code=self.province_code,
            agency_code=self.agency_code,
            is_active=self.is_active,
            must_change_password=self.must_change_password,
            last_login_at=self.last_login_at,
            failed_logins=self.failed_logins,
            locked_until=self.locked_until,
            version=self.version,
        )

    def update_from(self, account: Account) -> None:
        for name in (
            "username",
            "display_name",
            "email",
            "province_code",
            "agency_code",
            "is_active",
            "must_change_password",
            "password_hash",
            "failed_logins",
            "locked_until",
            "last_login_at",
            "created_at",
            "updated_at",
            "version",
        ):
            setattr(self, name, getattr(account, name))
        self.role = account.role.value


class SqlAccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, account: Account) -> None:
        row = AccountRow(
            id=account.id,
            role=account.role.value,
            username=account.username,
            display_name=account.display_name,
            created_at=account.created_at,
            updated_at=account.updated_at,
        )
        row.update_from(account)
        try:
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
        except IntegrityError as exc:
            if "uq_accounts_username" in str(exc.orig):
                raise UsernameTaken() from exc
            raise

    async def get(self, account_id: uuid.UUID) -> Account | None:
        row = await self._session.get(AccountRow, account_id)
        return row.to_domain() if row else None

    async def get_by_username(self, username: str) -> Account | None:
        query = select(AccountRow).where(AccountRow.username == username.strip().lower())
        row = (await self._session.exec(query)).first()
        return row.to_domain() if row else None

    async def save(self, account: Account) -> None:
        row = await self._session.get(AccountRow, account.id)
        if row is None:
            raise LookupError(f"account {account.id} vanished")
        try:
            # A savepoint, so a clash (two activations choosing one username at the same
            # moment) leaves the transaction usable and surfaces as a 409, like `add`.
            async with self._session.begin_nested():
                row.update_from(account)
                self._session.add(row)
                await self._session.flush()
        except IntegrityError as exc:
            # The savepoint rollback expired the row; forget it, so the next read of this
            # account comes from the database, not from the failed change.
            self._session.expunge(row)
            if "uq_accounts_username" in str(exc.orig):
                raise UsernameTaken() from exc
            raise

    async def count(self) -> int:
        return (await self._session.exec(select(func.count()).select_from(AccountRow))).one()

    async def get_for_update(self, username: str) -> Account | None:
        query = (
            select(AccountRow)
            .where(AccountRow.username == username.strip().lower())
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.exec(query)).first()
        return row.to_domain() if row else None

    async def get_for_update_by_id(self, account_id: uuid.UUID) -> Account | None:
        query = (
            select(AccountRow)
            .where(AccountRow.id == account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.exec(query)).first()
        return row.to_domain() if row else None

    async def list_page(
        self,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None = None,
        role: Role | None = None,
        province_code: str | None = None,
        is_active: bool | None = None,
    ) -> list[Account]:
        created, ident = col(AccountRow.created_at), col(AccountRow.id)
        query = select(AccountRow).order_by(created.desc(), ident.desc()).limit(limit)
        if role is not None:
            query = query.where(AccountRow.role == role.value)
        if province_code is not None:
            query = query.where(AccountRow.province_code == province_code)
        if is_active is not None:
            query = query.where(AccountRow.is_active == is_active)
        if after is not None:
            at, last_id = after
            query = query.where(or_(created < at, and_(created == at, ident < last_id)))
        rows = (await self._session.exec(query)).all()
        return [row.to_domain() for row in rows]
