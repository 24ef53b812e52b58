"""Provinces: the table and its repository."""

from __future__ import annotations

from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.provinces import LabourOffice, Province, Region


class ProvinceRow(SQLModel, table=True):
    __tablename__ = "provinces"

    code: str = Field(primary_key=True, max_length=2)
    name_th: str
    name_en: str
    region: str = Field(index=True)
    office_name: str | None = None
    office_address: str | None = None
    office_phone: str | None = None
    office_email: str | None = None

    def to_domain(self) -> Province:
        return Province(
            code=self.code,
            name_th=self.name_th,
            name_en=self.name_en,
            region=Region(self.region),
            labour_office=LabourOffice(
                name=self.office_name,
                address=self.office_address,
                phone=self.office_phone,
                email=self.office_email,
            ),
        )


class SqlProvinceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list(self, *, region: Region | None = None) -> list[Province]:
        query = select(ProvinceRow).order_by(col(ProvinceRow.code))
        if region is not None:
            query = query.where(ProvinceRow.region == region.value)
        rows = (await self._session.exec(query)).all()
        return [row.to_domain() for row in rows]

    async def get(self, code: str) -> Province | None:
        row = await self._session.get(ProvinceRow, code)
        return row.to_domain() if row else None

    async def exists(self, code: str) -> bool:
        query = select(ProvinceRow.code).where(ProvinceRow.code == code)
        return (await self._session.exec(query)).first() is not None
