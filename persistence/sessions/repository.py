"""Signing in: refresh-token families and login throttles."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.sessions.model import LoginThrottle, RefreshToken
from persistence.crypto import KeyRing
from persistence.sessions.tables import LoginThrottleRow, RefreshTokenRow

# -- rows <-> entities (the only place that knows both) -----------------------------------


def _token_to_entity(row: RefreshTokenRow) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        account_id=row.account_id,
        family_id=row.family_id,
        parent_id=row.parent_id,
        token_hash=row.token_hash,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        revoked_at=row.revoked_at,
        session_started_at=row.session_started_at,
    )


def _token_to_row(token: RefreshToken) -> RefreshTokenRow:
    return RefreshTokenRow(
        id=token.id,
        account_id=token.account_id,
        family_id=token.family_id,
        parent_id=token.parent_id,
        token_hash=token.token_hash,
        issued_at=token.issued_at,
        expires_at=token.expires_at,
        used_at=token.used_at,
        revoked_at=token.revoked_at,
        session_started_at=token.started_at,
    )


def _throttle_to_entity(row: LoginThrottleRow) -> LoginThrottle:
    return LoginThrottle(failures=row.failures, locked_until=row.locked_until)


def _throttle_to_row(throttle: LoginThrottle, into: LoginThrottleRow) -> LoginThrottleRow:
    """Update the row (created by get_for_update, keyed by the username's keyed hash)."""
    into.failures = throttle.failures
    into.locked_until = throttle.locked_until
    return into


class SqlRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: RefreshToken) -> None:
        self._session.add(_token_to_row(token))
        await self._session.flush()

    async def get_by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        query = (
            select(RefreshTokenRow)
            .where(RefreshTokenRow.token_hash == token_hash)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.exec(query)).first()
        return _token_to_entity(row) if row else None

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

    async def revoke_session(
        self, account_id: uuid.UUID, family_id: uuid.UUID, at: datetime
    ) -> int:
        return await self._revoke(
            and_(
                col(RefreshTokenRow.family_id) == family_id,
                col(RefreshTokenRow.account_id) == account_id,
            ),
            at,
        )

    async def live_sessions(
        self, account_id: uuid.UUID, now: datetime, limit: int
    ) -> list[RefreshToken]:
        query = (
            select(RefreshTokenRow)
            .where(
                col(RefreshTokenRow.account_id) == account_id,
                col(RefreshTokenRow.used_at).is_(None),
                col(RefreshTokenRow.revoked_at).is_(None),
                col(RefreshTokenRow.expires_at) > now,
            )
            .order_by(col(RefreshTokenRow.issued_at).desc(), col(RefreshTokenRow.id).desc())
            .limit(limit)
        )
        return [_token_to_entity(row) for row in (await self._session.exec(query)).all()]


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
        return _throttle_to_entity(row)

    async def save(self, username: str, throttle: LoginThrottle) -> None:
        row = await self._session.get(LoginThrottleRow, self._key(username))
        if row is None:
            raise LookupError("save() without get_for_update()")
        self._session.add(_throttle_to_row(throttle, into=row))
        await self._session.flush()
