"""Response schemas of the provinces registry."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from api.schemas import ApiModel
from domain.provinces.model import Province, Region

_KHON_KAEN: dict[str, Any] = {
    "code": "40",
    "iso_code": "TH-40",
    "name_th": "ขอนแก่น",
    "name_en": "Khon Kaen",
    "region": "northeast",
    "labour_office": {
        "name": "สำนักงานแรงงานจังหวัดขอนแก่น",
        "address": None,
        "phone": None,
        "email": None,
    },
}


class LabourOfficePublic(ApiModel):
    """Contact details of a provincial labour office (สำนักงานแรงงานจังหวัด); any may be
    null where the registry does not have it yet."""

    model_config = ConfigDict(from_attributes=True)

    name: str | None = Field(description="Name of the provincial labour office")
    address: str | None = Field(description="Postal address")
    phone: str | None = Field(description="Telephone number")
    email: str | None = Field(description="E-mail address")


class ProvincePublic(ApiModel):
    """One of the 77 provinces (76 and Bangkok) with its region and labour office."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_KHON_KAEN]})

    code: str = Field(description="Two-digit DOPA province code", examples=["40"])
    iso_code: str = Field(description="ISO 3166-2:TH code", examples=["TH-40"])
    name_th: str = Field(description="Name in Thai")
    name_en: str = Field(description="Name in English (Royal Thai General System)")
    region: Region
    labour_office: LabourOfficePublic


class ProvinceList(ApiModel):
    """Every province asked for, ordered by code: the whole list, not paged."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_KHON_KAEN], "count": 1}]})

    items: list[ProvincePublic]
    count: int = Field(description="Number of items (77 without a region filter)")

    @classmethod
    def of(cls, provinces: list[Province]) -> ProvinceList:
        items = [ProvincePublic.model_validate(province) for province in provinces]
        return cls(items=items, count=len(items))
