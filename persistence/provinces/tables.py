"""Provinces: the reference table (seeded by migration 0001)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from domain.provinces.model import Region
from persistence.base import one_of


class ProvinceRow(SQLModel, table=True):
    __tablename__ = "provinces"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{2}$'", name="code_two_digits"),
        CheckConstraint(one_of("region", Region), name="region_known"),
    )

    code: str = Field(primary_key=True, max_length=2)
    name_th: str
    name_en: str
    region: str = Field(index=True)
    office_name: str | None = None
    office_address: str | None = None
    office_phone: str | None = None
    office_email: str | None = None
