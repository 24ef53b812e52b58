"""The provinces registry (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Uow, requires
from api.problems import problem_responses
from api.provinces.schemas import ProvinceList, ProvincePublic
from domain.policy import Action, Principal
from domain.provinces.model import Region
from domain.provinces.use_cases import get_province, list_provinces

router = APIRouter(prefix="/api/v1/provinces", tags=["provinces"])

Public = Annotated[Principal | None, requires(Action.PROVINCE_READ)]


@router.get("", response_model=ProvinceList, responses=problem_responses(422))
async def provinces_list(
    uow: Uow,
    _caller: Public,
    region: Annotated[Region | None, Query(description="Only provinces of this region")] = None,
) -> ProvinceList:
    """List the 77 provinces (76 + Bangkok), ordered by code.

    Public: anyone may call it, without a token. The list is small and complete, so it is
    not paged; `region` narrows it to one of the six regions (an unknown region is 422).
    """
    return ProvinceList.of(await list_provinces(uow, region=region))


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
    """Get one province by its two-digit or ISO 3166-2 code.

    Public: anyone may call it, without a token. Either form of the code is accepted, in
    any case (`40`, `TH-40`, `th-40`); a code that names no province is 404.
    """
    return ProvincePublic.model_validate(await get_province(uow, code=code))
