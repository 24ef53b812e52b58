"""The provinces registry: 76 provinces plus Bangkok, keyed by their DOPA / ISO 3166-2:TH code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.errors import NotFound

if TYPE_CHECKING:
    from domain.uow import UnitOfWork


class Region(StrEnum):
    """The six geographic regions of the Royal Institute (1977) scheme."""

    NORTH = "north"
    NORTHEAST = "northeast"
    CENTRAL = "central"
    EAST = "east"
    WEST = "west"
    SOUTH = "south"


@dataclass(frozen=True, slots=True)
class LabourOffice:
    """Contact fields of a provincial labour office (สำนักงานแรงงานจังหวัด); any may be empty."""

    name: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name_th: str
    name_en: str
    region: Region
    labour_office: LabourOffice

    @property
    def iso_code(self) -> str:
        return f"TH-{self.code}"


_CODE = re.compile(r"^(?:TH-)?([0-9]{2})$", re.IGNORECASE)


def normalize_province_code(raw: str) -> str | None:
    """Accept "40" or "TH-40" (any case); return "40", or None when it cannot be a code."""
    match = _CODE.match(raw.strip())
    return match.group(1) if match else None


class ProvinceNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"No province has the code '{code}'.")


async def list_provinces(uow: UnitOfWork, *, region: Region | None = None) -> list[Province]:
    """All provinces, ordered by code, optionally of one region."""
    return await uow.provinces.list(region=region)


async def get_province(uow: UnitOfWork, *, code: str) -> Province:
    """One province by its two-digit or ISO 3166-2 code."""
    normalized = normalize_province_code(code)
    province = await uow.provinces.get(normalized) if normalized else None
    if province is None:
        raise ProvinceNotFound(code)
    return province
