"""Accounts: rows <-> Account entities."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.accounts.errors import UsernameTaken
from domain.accounts.model import Account
from domain.pagination import Cursor, PageRequest
from domain.policy import Role
from persistence.accounts.tables import AccountRow
from persistence.driver import RecordView, driver_connection

_COLUMNS = ", ".join(column.name for column in AccountRow.__table__.columns)  # type: ignore[attr-defined]
_GET_BY_ID = f"SELECT {_COLUMNS} FROM accounts WHERE id = $1"  # noqa: S608 - fixed columns
# The account of an access token and, in the same statement, whether the token's sign-in
# session was ended (its refresh-token family revoked: logout, reuse, idle or absolute
# expiry, ended by the user or an admin). One round trip on every authenticated request;
# the sessions feature owns refresh_tokens, this read only looks
# (ix_refresh_tokens_revoked_family_id: an empty index range for a live session).
_GET_SIGNED_IN = (
    f"SELECT {_COLUMNS} FROM accounts WHERE id = $1 AND ($2::uuid IS NULL OR NOT EXISTS "  # noqa: S608
    "(SELECT 1 FROM refresh_tokens r WHERE r.family_id = $2 AND r.revoked_at IS NOT NULL))"
)


# -- rows <-> entities (the only place that knows both) -----------------------------------


def _to_entity(row: AccountRow | RecordView) -> Account:
    return Account(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        password_hash=row.password_hash,
        created_at=row.created_at,
        updated_at=row.updated_at,
        email=row.email,
        province_code=row.province_code,
        agency_code=row.agency_code,
        is_active=row.is_active,
        must_change_password=row.must_change_password,
        last_login_at=row.last_login_at,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        version=row.version,
        token_version=row.token_version,
    )


def _to_row(account: Account, into: AccountRow | None = None) -> AccountRow:
    """A new row for the account, or `into` brought up to date with it."""
    row = into
    if row is None:
        row = AccountRow(
            id=account.id,
            username=account.username,
            display_name=account.display_name,
            role=account.role.value,
            created_at=account.created_at,
            updated_at=account.updated_at,
        )
    row.username = account.username
    row.display_name = account.display_name
    row.role = account.role.value
    row.password_hash = account.password_hash
    row.created_at = account.created_at
    row.updated_at = account.updated_at
    row.email = account.email
    row.province_code = account.province_code
    row.agency_code = account.agency_code
    row.is_active = account.is_active
    row.must_change_password = account.must_change_password
    row.last_login_at = account.last_login_at
    row.failed_logins = account.failed_logins
    row.locked_until = account.locked_until
    row.version = account.version
    row.token_version = account.token_version
    return row


class SqlAccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, account: Account) -> None:
        row = _to_row(account)
        try:
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
        except IntegrityError as exc:
            if "uq_accounts_username" in str(exc.orig):
                raise UsernameTaken() from exc
            raise

    async def get(self, account_id: uuid.UUID) -> Account | None:
        # Every authenticated request reads its account: straight on the driver.
        connection = await driver_connection(self._session)
        record = await connection.fetchrow(_GET_BY_ID, account_id)
        return _to_entity(RecordView(record)) if record is not None else None

    async def get_signed_in(
        self, account_id: uuid.UUID, session_id: uuid.UUID | None
    ) -> Account | None:
        connection = await driver_connection(self._session)
        record = await connection.fetchrow(_GET_SIGNED_IN, account_id, session_id)
        return _to_entity(RecordView(record)) if record is not None else None

    async def get_by_username(self, username: str) -> Account | None:
        query = select(AccountRow).where(AccountRow.username == username.strip().lower())
        row = (await self._session.exec(query)).first()
        return _to_entity(row) if row else None

    async def save(self, account: Account) -> None:
        row = await self._session.get(AccountRow, account.id)
        if row is None:
            raise LookupError(f"account {account.id} vanished")
        try:
            # A savepoint, so a clash (two activations choosing one username at the same
            # moment) leaves the transaction usable and surfaces as a 409, like `add`.
            async with self._session.begin_nested():
                _to_row(account, into=row)
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
        return _to_entity(row) if row else None

    async def get_for_update_by_id(self, account_id: uuid.UUID) -> Account | None:
        query = (
            select(AccountRow)
            .where(AccountRow.id == account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.exec(query)).first()
        return _to_entity(row) if row else None

    async def list_page(
        self,
        page: PageRequest[Cursor],
        *,
        role: Role | None = None,
        province_code: str | None = None,
        is_active: bool | None = None,
    ) -> list[Account]:
        created, ident = col(AccountRow.created_at), col(AccountRow.id)
        query = select(AccountRow).order_by(created.desc(), ident.desc()).limit(page.fetch)
        if role is not None:
            query = query.where(AccountRow.role == role.value)
        if province_code is not None:
            query = query.where(AccountRow.province_code == province_code)
        if is_active is not None:
            query = query.where(AccountRow.is_active == is_active)
        if page.after is not None:
            at, last_id = page.after.at, page.after.id
            query = query.where(or_(created < at, and_(created == at, ident < last_id)))
        rows = (await self._session.exec(query)).all()
        return [_to_entity(row) for row in rows]
