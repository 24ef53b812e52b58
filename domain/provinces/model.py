"""Provinces: the 77 provinces, their regions and labour offices."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


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
