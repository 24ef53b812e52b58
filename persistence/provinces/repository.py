"""Provinces: rows <-> Province entities."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, Table, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.provinces.model import LabourOffice, Province, Region
from persistence.provinces.tables import ProvinceRow

_TABLE: Table = ProvinceRow.__table__  # type: ignore[attr-defined]


# -- rows <-> entities (the only place that knows both) -----------------------------------
# Read only: provinces are reference data, written by migration 0001 alone.


def _to_entity(row: Row[Any]) -> Province:
    return Province(
        code=row.code,
        name_th=row.name_th,
        name_en=row.name_en,
        region=Region(row.region),
        labour_office=LabourOffice(
            name=row.office_name,
            address=row.office_address,
            phone=row.office_phone,
            email=row.office_email,
        ),
    )


class SqlProvinceRepository:
    """Reads on a hot path: Core selects on the session's connection, no ORM identity map."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _rows(self, query: Select[Any]) -> list[Row[Any]]:
        connection = await self._session.connection()
        return list((await connection.execute(query)).all())

    async def list(self, *, region: Region | None = None) -> list[Province]:
        query = select(_TABLE).order_by(_TABLE.c.code)
        if region is not None:
            query = query.where(_TABLE.c.region == region.value)
        return [_to_entity(row) for row in await self._rows(query)]

    async def get(self, code: str) -> Province | None:
        rows = await self._rows(select(_TABLE).where(_TABLE.c.code == code))
        return _to_entity(rows[0]) if rows else None

    async def exists(self, code: str) -> bool:
        return bool(await self._rows(select(_TABLE.c.code).where(_TABLE.c.code == code)))
