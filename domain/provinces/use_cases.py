"""Provinces: reading the reference data."""

from __future__ import annotations

from domain.provinces.errors import ProvinceNotFound
from domain.provinces.model import Province, Region, normalize_province_code
from domain.provinces.ports import ProvincesUnitOfWork


async def list_provinces(
    uow: ProvincesUnitOfWork, *, region: Region | None = None
) -> list[Province]:
    """All provinces, ordered by code, optionally of one region."""
    return await uow.provinces.list(region=region)


async def get_province(uow: ProvincesUnitOfWork, *, code: str) -> Province:
    """One province by its two-digit or ISO 3166-2 code."""
    normalized = normalize_province_code(code)
    province = await uow.provinces.get(normalized) if normalized else None
    if province is None:
        raise ProvinceNotFound(code)
    return province
