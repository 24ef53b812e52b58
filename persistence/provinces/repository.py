"""Provinces: rows <-> Province entities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Row, Table, select
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


class ProvinceCache:
    """The 77 provinces, read once per process and then served from memory.

    Provinces are reference data that only a migration changes, and migrations run before
    the service starts, so a process never needs to read them twice. Shared by every unit
    of work of an app (api/services.py); tests that build units of work by hand get a
    fresh one each.
    """

    def __init__(self) -> None:
        self._by_code: dict[str, Province] | None = None

    @property
    def loaded(self) -> bool:
        return self._by_code is not None

    def fill(self, provinces: list[Province]) -> None:
        self._by_code = {province.code: province for province in provinces}

    def all(self) -> list[Province]:
        assert self._by_code is not None
        return sorted(self._by_code.values(), key=lambda province: province.code)

    def get(self, code: str) -> Province | None:
        assert self._by_code is not None
        return self._by_code.get(code)


class SqlProvinceRepository:
    """Read-only reference data: one Core select fills the process's cache, after which
    no request reads the table again."""

    def __init__(
        self, session: Callable[[], AsyncSession], cache: ProvinceCache | None = None
    ) -> None:
        # The session is asked for only on a cache miss: a request served from the cache
        # opens no session and checks out no connection.
        self._session = session
        self._cache = cache if cache is not None else ProvinceCache()

    async def _loaded(self) -> ProvinceCache:
        if not self._cache.loaded:
            connection = await self._session().connection()
            rows = (await connection.execute(select(_TABLE).order_by(_TABLE.c.code))).all()
            self._cache.fill([_to_entity(row) for row in rows])
        return self._cache

    async def list(self, *, region: Region | None = None) -> list[Province]:
        provinces = (await self._loaded()).all()
        return [p for p in provinces if region is None or p.region is region]

    async def get(self, code: str) -> Province | None:
        return (await self._loaded()).get(code)

    async def exists(self, code: str) -> bool:
        return (await self._loaded()).get(code) is not None
