"""Partner agencies: everyone signed in reads the registry, admins keep it.

HTTP wiring only: the schemas are in `schemas.py`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.agencies.schemas import AgencyCreate, AgencyList, AgencyPublic, AgencyUpdate
from api.concurrency import IfMatch, expected_version, set_etag
from api.deps import Uow, requires
from api.headers import ETAG, LOCATION, versioned_responses, with_headers
from api.planning import PlannedRoute
from api.problems import problem_responses
from domain.agencies import use_cases as uc
from domain.agencies.model import Agency
from domain.policy import Action, Principal

router = APIRouter(prefix="/api/v1/agencies", tags=["agencies"], route_class=PlannedRoute)

Reader = Annotated[Principal | None, requires(Action.AGENCY_READ)]
Keeper = Annotated[Principal | None, requires(Action.AGENCY_MANAGE)]
AgencyCode = Annotated[str, Path(max_length=16, description="The agency's code", examples=["PACC"])]


@router.get("", response_model=AgencyList, responses=problem_responses(401, 422))
async def agencies_list(
    uow: Uow,
    caller: Reader,
    active: Annotated[bool | None, Query(description="Only agencies that take referrals")] = None,
) -> AgencyList:
    """List the partner agencies (NACC, PACC, DSI, ...), by code.

    Every signed-in role may read the registry: officers pick the agency a case goes to,
    partner accounts see which agency they speak for.
    """
    return AgencyList.of(await uc.list_agencies(uow, actor=caller, active=active))


@router.get(
    "/{code}",
    response_model=AgencyPublic,
    responses=versioned_responses(200, 401, 404, 422),
)
async def agencies_get(
    response: Response, uow: Uow, caller: Reader, code: AgencyCode
) -> AgencyPublic:
    """Read one partner agency by its code; sends an ETag.

    Codes are matched in any case (`pacc` is `PACC`); an unknown code is a 404.
    """
    return _answer(response, await uc.get_agency(uow, actor=caller, code=code))


@router.post(
    "",
    status_code=201,
    response_model=AgencyPublic,
    responses=with_headers(201, LOCATION, ETAG) | problem_responses(401, 403, 409, 422),
)
async def agencies_create(
    response: Response, uow: Uow, caller: Keeper, body: AgencyCreate
) -> AgencyPublic:
    """Register a partner agency (admins).

    The code is permanent: partner accounts (`agency_code`) and referrals use it. A code
    already registered is a 409.
    """
    agency = await uc.register_agency(uow, actor=caller, **body.model_dump())
    response.headers["Location"] = f"{router.prefix}/{agency.code}"
    return _answer(response, agency)


@router.patch(
    "/{code}",
    response_model=AgencyPublic,
    responses=versioned_responses(200, 401, 403, 404, 412, 422, 428),
)
async def agencies_update(
    response: Response,
    uow: Uow,
    caller: Keeper,
    code: AgencyCode,
    body: AgencyUpdate,
    if_match: IfMatch = None,
) -> AgencyPublic:
    """Change an agency's names, contact data or whether it takes referrals (admins).

    If-Match required (missing: 428, stale: 412). An inactive agency keeps its referrals
    and partner accounts but takes no new referral.
    """
    agency = await uc.update_agency(
        uow,
        actor=caller,
        code=code,
        changes=body.changes(),
        expected_version=expected_version(if_match),
    )
    return _answer(response, agency)


def _answer(response: Response, agency: Agency) -> AgencyPublic:
    set_etag(response, agency.version)
    return AgencyPublic.model_validate(agency)
