"""The provinces registry (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from api.caching import CACHED_RESPONSES, cached_json
from api.deps import Uow, requires
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.provinces.schemas import ProvinceList, ProvincePublic
from api.services import Svc
from domain.policy import Action, Principal
from domain.provinces.model import Region
from domain.provinces.use_cases import get_province, list_provinces

router = APIRouter(prefix="/api/v1/provinces", tags=["provinces"], route_class=PlannedRoute)

Public = Annotated[Principal | None, requires(Action.PROVINCE_READ)]


IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        description="The ETag of a copy you hold: an unchanged resource answers 304, no body",
    ),
]


@router.get(
    "",
    response_model=ProvinceList,
    responses={**CACHED_RESPONSES, **problem_responses(422)},
)
async def provinces_list(
    request: Request,
    uow: Uow,
    services: Svc,
    _caller: Public,
    region: Annotated[Region | None, Query(description="Only provinces of this region")] = None,
    _if_none_match: IfNoneMatch = None,
) -> Response:
    """List the 77 provinces (76 + Bangkok), ordered by code.

    Public: anyone may call it, without a token. The list is small and complete, so it is
    not paged; `region` narrows it to one of the six regions (an unknown region is 422).
    Cacheable: sent with an `ETag` and `Cache-Control: public, max-age=3600`; send the
    ETag back in `If-None-Match` to get a bodiless 304 while it is current.
    """

    async def render() -> bytes:
        return ProvinceList.of(await list_provinces(uow, region=region)).model_dump_json().encode()

    return await cached_json(request, services.response_cache, f"provinces:{region or ''}", render)


@router.get(
    "/{code}",
    response_model=ProvincePublic,
    responses={**CACHED_RESPONSES, **problem_responses(404, 422)},
)
async def provinces_get(
    request: Request,
    uow: Uow,
    services: Svc,
    _caller: Public,
    code: Annotated[
        str,
        Path(
            description='Two-digit code ("40") or ISO 3166-2 code ("TH-40")',
            examples=["40", "TH-40"],
            max_length=8,
        ),
    ],
    _if_none_match: IfNoneMatch = None,
) -> Response:
    """Get one province by its two-digit or ISO 3166-2 code.

    Public: anyone may call it, without a token. Either form of the code is accepted, in
    any case (`40`, `TH-40`, `th-40`); a code that names no province is 404. Cacheable
    like the list (`ETag`, `If-None-Match` -> 304).
    """
    province = await get_province(uow, code=code)  # 404 for an unknown code, never cached

    async def render() -> bytes:
        return ProvincePublic.model_validate(province).model_dump_json().encode()

    return await cached_json(request, services.response_cache, f"province:{province.code}", render)
