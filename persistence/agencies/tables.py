"""Partner agencies: the table (seeded by migration 0011 with the Thai agencies)."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Integer, String
from sqlmodel import Field, SQLModel


class AgencyRow(SQLModel, table=True):
    __tablename__ = "agencies"
    __table_args__ = (CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,15}$'", name="code_format"),)

    code: str = Field(sa_column=Column(String(16), primary_key=True))
    name_th: str = Field(sa_column=Column(String(300), nullable=False))
    name_en: str = Field(sa_column=Column(String(300), nullable=False))
    phone: str | None = Field(default=None, sa_column=Column(String(32)))
    email: str | None = Field(default=None, sa_column=Column(String(254)))
    website: str | None = Field(default=None, sa_column=Column(String(300)))
    is_active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
