"""The provinces registry (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import ConfigDict, Field

from api.deps import Uow, requires
from api.problems import problem_responses
from api.schemas import ApiModel
from domain.policy import Action, Principal
from domain.provinces.model import Province, Region
from domain.provinces.use_cases import get_province, list_provinces

router = APIRouter(prefix="/api/v1/provinces", tags=["provinces"])


class LabourOfficePublic(ApiModel):
    name: str | None = Field(description="Name of the provincial labour office")
    address: str | None
    phone: str | None
    email: str | None


class ProvincePublic(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
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
            ]
        }
    )

    code: str = Field(description="Two-digit DOPA province code", examples=["40"])
    iso_code: str = Field(description="ISO 3166-2:TH code", examples=["TH-40"])
    name_th: str
    name_en: str
    region: Region
    labour_office: LabourOfficePublic

    @classmethod
    def of(cls, province: Province) -> ProvincePublic:
        office = province.labour_office
        return cls(
            code=province.code,
            iso_code=province.iso_code,
            name_th=province.name_th,
            name_en=province.name_en,
            region=province.region,
            labour_office=LabourOfficePublic(
                name=office.name, address=office.address, phone=office.phone, email=office.email
            ),
        )


class ProvinceList(ApiModel):
    items: list[ProvincePublic]
    count: int


Public = Annotated[Principal | None, requires(Action.PROVINCE_READ)]


@router.get("", response_model=ProvinceList, responses=problem_responses(422))
async def provinces_list(
    uow: Uow,
    _caller: Public,
    region: Annotated[Region | None, Query(description="Only provinces of this region")] = None,
) -> ProvinceList:
    """List the 77 provinces (76 + Bangkok), ordered by code."""
    items = await list_provinces(uow, region=region)
    return ProvinceList(items=[ProvincePublic.of(p) for p in items], count=len(items))


@router.get("/{code}", response_model=ProvincePublic, responses=problem_responses(404, 422))
async def provinces_get(
    uow: Uow,
    _caller: Public,
    code: Annotated[
        str,
        Path(
            description='Two-digit code ("40") or ISO 3166-2 code ("TH-40")',
            examples=["40", "TH-40"],
            max_length=8,
        ),
    ],
) -> ProvincePublic:
    """Get one province by its two-digit or ISO 3166-2 code."""
    return ProvincePublic.of(await get_province(uow, code=code))
