"""API clients: repository (rows <-> entities in one place; never commits)."""

from __future__ import annotations

import hashlib
from uuid import UUID

from sqlalchemy import tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.clients.model import ApiClient, format_scopes, parse_scopes
from domain.pagination import Cursor, PageRequest
from persistence.clients.tables import ApiClientRow


def _to_entity(row: ApiClientRow) -> ApiClient:
    return ApiClient(
        id=row.id,
        name=row.name,
        agency_code=row.agency_code,
        scopes=parse_scopes(row.scopes),
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        created_by=row.created_by,
        previous_secret_hash=row.previous_secret_hash,
        previous_secret_expires_at=row.previous_secret_expires_at,
        secret_rotated_at=row.secret_rotated_at,
        revoked_at=row.revoked_at,
        last_authenticated_at=row.last_authenticated_at,
        version=row.version,
    )


def _to_row(client: ApiClient, into: ApiClientRow | None = None) -> ApiClientRow:
    row = into or ApiClientRow(
        id=client.id,
        name=client.name,
        agency_code=client.agency_code,
        scopes=[],
        secret_hash=client.secret_hash,
        created_at=client.created_at,
        created_by=client.created_by,
    )
    row.name = client.name
    row.agency_code = client.agency_code
    row.scopes = format_scopes(client.scopes).split()
    row.secret_hash = client.secret_hash
    row.previous_secret_hash = client.previous_secret_hash
    row.previous_secret_expires_at = client.previous_secret_expires_at
    row.secret_rotated_at = client.secret_rotated_at
    row.revoked_at = client.revoked_at
    row.last_authenticated_at = client.last_authenticated_at
    row.version = client.version
    return row


class SqlClientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def secret_digest(self, secret: str) -> str:
        # 256 random bits: a plain digest suffices (as for refresh tokens), and it does
        # not tie every partner's secret to DATA_HASH_KEY's rotation.
        return hashlib.sha256(secret.encode()).hexdigest()

    async def add(self, client: ApiClient) -> None:
        self._session.add(_to_row(client))
        await self._session.flush()

    async def get(self, client_id: UUID, *, for_update: bool = False) -> ApiClient | None:
        query = (
            select(ApiClientRow)
            .where(ApiClientRow.id == client_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        return _to_entity(row) if row else None

    async def save(self, client: ApiClient) -> None:
        row = await self._session.get(ApiClientRow, client.id)
        if row is None:
            raise LookupError(f"client {client.id} vanished")
        self._session.add(_to_row(client, into=row))
        await self._session.flush()

    async def list(
        self,
        *,
        agency_code: str | None = None,
        active: bool | None = None,
        page: PageRequest[Cursor],
    ) -> list[ApiClient]:
        query = (
            select(ApiClientRow)
            .order_by(col(ApiClientRow.created_at).desc(), col(ApiClientRow.id).desc())
            .limit(page.fetch)
        )
        if page.after is not None:
            query = query.where(
                tuple_(col(ApiClientRow.created_at), col(ApiClientRow.id))
                < tuple_(page.after.at, page.after.id)
            )
        if agency_code is not None:
            query = query.where(ApiClientRow.agency_code == agency_code)
        if active is True:
            query = query.where(col(ApiClientRow.revoked_at).is_(None))
        elif active is False:
            query = query.where(col(ApiClientRow.revoked_at).is_not(None))
        return [_to_entity(row) for row in (await self._session.exec(query)).all()]
