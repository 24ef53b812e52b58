"""Provinces: the repository protocol."""

from __future__ import annotations

from typing import Protocol

from domain.provinces.model import Province, Region
from domain.transaction import Transaction


class ProvinceRepository(Protocol):
    async def list(self, *, region: Region | None = None) -> list[Province]: ...

    async def get(self, code: str) -> Province | None: ...

    async def exists(self, code: str) -> bool: ...


class ProvincesUnitOfWork(Transaction, Protocol):
    """What the province use cases need."""

    @property
    def provinces(self) -> ProvinceRepository: ...
