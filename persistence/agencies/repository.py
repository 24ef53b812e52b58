"""Partner agencies: repository (rows <-> entities in one place; never commits)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.agencies.errors import AgencyExists
from domain.agencies.model import Agency
from persistence.agencies.tables import AgencyRow


def _to_entity(row: AgencyRow) -> Agency:
    return Agency(
        code=row.code,
        name_th=row.name_th,
        name_en=row.name_en,
        phone=row.phone,
        email=row.email,
        website=row.website,
        is_active=row.is_active,
        version=row.version,
    )


def _to_row(agency: Agency, into: AgencyRow | None = None) -> AgencyRow:
    row = into or AgencyRow(code=agency.code, name_th=agency.name_th, name_en=agency.name_en)
    row.name_th = agency.name_th
    row.name_en = agency.name_en
    row.phone = agency.phone
    row.email = agency.email
    row.website = agency.website
    row.is_active = agency.is_active
    row.version = agency.version
    return row


class SqlAgencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, code: str, *, for_update: bool = False) -> Agency | None:
        query = (
            select(AgencyRow)
            .where(AgencyRow.code == code)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        row = (await self._session.exec(query)).first()
        return _to_entity(row) if row else None

    async def add(self, agency: Agency) -> None:
        try:
            async with self._session.begin_nested():
                self._session.add(_to_row(agency))
                await self._session.flush()
        except IntegrityError as exc:
            raise AgencyExists(agency.code) from exc

    async def save(self, agency: Agency) -> None:
        row = await self._session.get(AgencyRow, agency.code)
        if row is None:
            raise LookupError(f"agency {agency.code} vanished")
        self._session.add(_to_row(agency, into=row))
        await self._session.flush()

    async def list(self, *, active: bool | None = None) -> list[Agency]:
        query = select(AgencyRow).order_by(col(AgencyRow.code))
        if active is not None:
            query = query.where(AgencyRow.is_active == active)
        return [_to_entity(row) for row in (await self._session.exec(query)).all()]
