"""Provinces: the reference table (seeded by migration 0001)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


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
