"""Statistics: internal figures, the annual report, the public figures and open data.

HTTP wiring only. Internal figures: central officers and admins for any province,
provincial officers for their own (another province is 404). Public figures: anyone,
cached (`ETag`, `Cache-Control`), small counts suppressed.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from api.caching import CACHED_RESPONSES, CachedBody, cached_json
from api.deps import Uow, requires
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.services import ClockDep, SettingsDep, Svc
from api.statistics.public import open_data_metadata, public_csv, public_document
from api.statistics.schemas import (
    AnnualReportPublic,
    InvestigationStatisticsPublic,
    PublicStatisticsDocument,
    ReferralStatisticsPublic,
    TipStatisticsPublic,
    VolunteerStatisticsPublic,
)
from domain.policy import Action, Principal
from domain.statistics import use_cases as uc
from domain.statistics.periods import Period, choose_period
from domain.statistics.ports import StatisticsUnitOfWork

router = APIRouter(prefix="/api/v1/statistics", tags=["statistics"], route_class=PlannedRoute)
public_router = APIRouter(prefix="/api/v1/public", tags=["statistics"], route_class=PlannedRoute)

Reader = Annotated[Principal | None, requires(Action.STATISTICS_READ)]
NationalReader = Annotated[Principal | None, requires(Action.STATISTICS_NATIONAL_READ)]
Anyone = Annotated[Principal | None, requires(Action.STATISTICS_PUBLIC_READ)]

#: Public figures are recomputed at most this often per process (and clients may keep
#: them as long): they are counts over months, not live data.
PUBLIC_MAX_AGE = 300

FiscalYear = Annotated[
    int | None,
    Query(
        description="Thai fiscal year, Buddhist Era (2569 = 1 Oct 2025 - 30 Sep 2026)",
        examples=[2569],
        ge=2400,
        le=2700,
    ),
]
Year = Annotated[
    int | None,
    Query(description="Calendar year, Buddhist Era (2569 = 2026)", ge=2400, le=2700),
]
From = Annotated[
    date | None,
    Query(alias="from", description="First day (widened to its Bangkok month)"),
]
To = Annotated[date | None, Query(alias="to", description="Last day (widened to its month)")]
ProvinceCode = Annotated[
    str | None,
    Query(
        description='Only this province ("40" or "TH-40"); provincial officers: their own',
        max_length=8,
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", description="The ETag of a copy you hold: 304 if current"),
]

_INTERNAL = problem_responses(401, 403, 404, 422)
_NATIONAL = problem_responses(401, 403, 422)


async def period_query(
    clock: ClockDep,
    fiscal_year: FiscalYear = None,
    year: Year = None,
    start: From = None,
    end: To = None,
) -> Period:
    """The period the internal figures cover: one of `fiscal_year`, `year` (Buddhist Era)
    or `from`/`to`; none: the current fiscal year (one set of query parameters for every
    internal statistics route)."""
    return choose_period(now=clock.now(), start=start, end=end, fiscal_year=fiscal_year, year=year)


PeriodQuery = Annotated[Period, Depends(period_query)]


@router.get("/tips", response_model=TipStatisticsPublic, responses=_INTERNAL)
async def statistics_tips(
    uow: Uow,
    caller: Reader,
    period: PeriodQuery,
    province_code: ProvinceCode = None,
) -> TipStatisticsPublic:
    """Tips received in a period: by province, region, category, channel, status,
    outcome and Bangkok month; deadline compliance; times to acknowledge and to feed back.

    One of `fiscal_year`, `year` (both Buddhist Era) or `from`/`to`; none: the current
    fiscal year. Answered from summary tables kept in step with every write.
    """
    stats = await uc.tip_statistics(
        uow, actor=_signed(caller), period=period, province_code=province_code
    )
    return TipStatisticsPublic.of(stats)


@router.get("/investigations", response_model=InvestigationStatisticsPublic, responses=_INTERNAL)
async def statistics_investigations(
    uow: Uow,
    caller: Reader,
    period: PeriodQuery,
    province_code: ProvinceCode = None,
) -> InvestigationStatisticsPublic:
    """Investigations opened in a period (by current status) and concluded in it (by
    outcome, duration, damage estimated and amounts recovered where recorded)."""
    stats = await uc.investigation_statistics(
        uow, actor=_signed(caller), period=period, province_code=province_code
    )
    return InvestigationStatisticsPublic.of(stats)


@router.get("/referrals", response_model=ReferralStatisticsPublic, responses=_NATIONAL)
async def statistics_referrals(
    uow: Uow,
    caller: NationalReader,
    period: PeriodQuery,
) -> ReferralStatisticsPublic:
    """Referrals to partner agencies made in a period, by agency and current status.

    Central officers and admins only: referrals are counted by agency, not by province.
    Each referral counts in the Bangkok month it was made, with the status it has now.
    """
    stats = await uc.referral_statistics(uow, actor=_signed(caller), period=period)
    return ReferralStatisticsPublic.of(stats)


@router.get("/volunteers", response_model=VolunteerStatisticsPublic, responses=_INTERNAL)
async def statistics_volunteers(
    uow: Uow,
    caller: Reader,
    period: PeriodQuery,
    province_code: ProvinceCode = None,
) -> VolunteerStatisticsPublic:
    """The volunteer registry now (by province and status, trained share of active
    volunteers) and the applications received per month of a period."""
    stats = await uc.volunteer_statistics(
        uow, actor=_signed(caller), period=period, province_code=province_code
    )
    return VolunteerStatisticsPublic.of(stats)


_CSV_RESPONSE = {
    "text/csv": {
        "schema": {"type": "string"},
        "example": "figure,value\r\nfiscal_year,2569\r\nreports_received,1200\r\n",
    }
}


@router.get(
    "/annual",
    response_model=AnnualReportPublic,
    responses={200: {"content": _CSV_RESPONSE}, **_NATIONAL},
)
async def statistics_annual(
    request: Request,
    uow: Uow,
    caller: NationalReader,
    fiscal_year: Annotated[
        int,
        Query(description="Thai fiscal year, Buddhist Era", examples=[2569], ge=2400, le=2700),
    ],
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="`csv` or `json`; else the Accept header decides (JSON by default)"),
    ] = None,
) -> Response:
    """The annual report of a fiscal year (EU Directive 2019/1937 Art. 27 style):
    reports received, investigations opened and concluded, outcomes, referrals and
    prosecutions, damage estimated and amounts recovered where recorded, median times.

    JSON, or CSV (`figure,value` lines) with `format=csv` or `Accept: text/csv`.
    """
    report = AnnualReportPublic.of(
        await uc.annual_report(uow, actor=_signed(caller), fiscal_year=fiscal_year)
    )
    wants_csv = format == "csv" or (
        format is None and "text/csv" in request.headers.get("accept", "")
    )
    if wants_csv:
        return Response(
            content=report.to_csv(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="annual-report-{fiscal_year}.csv"'
            },
        )
    return Response(content=report.model_dump_json(), media_type="application/json")


def _signed(caller: Principal | None) -> Principal:
    assert caller is not None  # requires() refused anonymous callers already
    return caller


async def public_statistics_document(
    uow: StatisticsUnitOfWork, settings: SettingsDep, fiscal_year: int | None
) -> PublicStatisticsDocument:
    stats = await uc.public_statistics(uow, actor=None, fiscal_year=fiscal_year)
    return public_document(stats, await uow.provinces.list(), settings)


def _public_cache(services: Svc, clock: ClockDep, name: str) -> tuple[dict[str, CachedBody], str]:
    """The response cache and the key for this time window (older windows are dropped)."""
    window = int(clock.now().timestamp()) // PUBLIC_MAX_AGE
    cache = services.response_cache
    for key in [k for k in cache if k.startswith("public:") and not k.endswith(f"@{window}")]:
        del cache[key]
    return cache, f"public:{name}@{window}"


#: api/caching.py's cached 200/304, with this max-age.
PUBLIC_CACHED: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            **CACHED_RESPONSES[200]["headers"],
            "Cache-Control": {
                "description": f"`public, max-age={PUBLIC_MAX_AGE}`: figures refreshed at most "
                "every 5 minutes",
                "schema": {"type": "string"},
            },
        }
    },
    304: CACHED_RESPONSES[304],
}
_PUBLIC_RESPONSES = {**PUBLIC_CACHED, **problem_responses(422)}


@public_router.get(
    "/statistics", response_model=PublicStatisticsDocument, responses=_PUBLIC_RESPONSES
)
async def public_statistics(
    request: Request,
    uow: Uow,
    services: Svc,
    settings: SettingsDep,
    clock: ClockDep,
    _caller: Anyone,
    fiscal_year: FiscalYear = None,
    _if_none_match: IfNoneMatch = None,
) -> Response:
    """Public figures of a fiscal year (default: the current one): tips received,
    acknowledged within the legal deadline, investigations concluded and their outcomes,
    by region, province and month, and the complaint channel's handling guideline.

    Anyone may call it. Counts under 5 are suppressed (`value` null, `suppressed` true),
    and enough other counts with them that none can be worked out from the totals.
    Cached for 5 minutes (`ETag`, `If-None-Match` -> 304).
    """

    async def render() -> bytes:
        doc = await public_statistics_document(uow, settings, fiscal_year)
        return doc.model_dump_json().encode()

    cache, key = _public_cache(services, clock, f"json:{fiscal_year}")
    return await cached_json(request, cache, key, render, max_age=PUBLIC_MAX_AGE)


@public_router.get(
    "/statistics.csv",
    responses={
        **_PUBLIC_RESPONSES,
        200: {
            **PUBLIC_CACHED[200],
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "fiscal_year_be,level,code,name_th,name_en,region,"
                    "tips_received,acknowledged_within_deadline,investigations_concluded\r\n"
                    "2569,province,40,ขอนแก่น,Khon Kaen,northeast,120,98,\r\n",
                }
            },
        },
    },
    response_class=Response,
)
async def public_statistics_csv(
    request: Request,
    uow: Uow,
    services: Svc,
    settings: SettingsDep,
    clock: ClockDep,
    _caller: Anyone,
    fiscal_year: FiscalYear = None,
    _if_none_match: IfNoneMatch = None,
) -> Response:
    """The public figures as an open dataset (CSV, UTF-8): one line per area or month;
    a suppressed count is an empty field. Metadata: `/api/v1/public/statistics/metadata`."""

    async def render() -> bytes:
        return public_csv(await public_statistics_document(uow, settings, fiscal_year)).encode()

    cache, key = _public_cache(services, clock, f"csv:{fiscal_year}")
    response = await cached_json(request, cache, key, render, max_age=PUBLIC_MAX_AGE)
    if response.status_code == 200:
        response.headers["content-type"] = "text/csv; charset=utf-8"
    return response


@public_router.get("/statistics/metadata", responses=_PUBLIC_RESPONSES)
async def public_statistics_metadata(
    request: Request,
    uow: Uow,
    services: Svc,
    settings: SettingsDep,
    clock: ClockDep,
    _caller: Anyone,
    fiscal_year: FiscalYear = None,
    _if_none_match: IfNoneMatch = None,
) -> Response:
    """The open dataset's metadata, in the fields of data.go.th (CKAN): title,
    description, publisher, licence, update frequency, temporal coverage, columns."""
    base = str(request.base_url).rstrip("/")

    async def render() -> bytes:
        doc = await public_statistics_document(uow, settings, fiscal_year)
        return json.dumps(open_data_metadata(doc, base), ensure_ascii=False).encode()

    cache, key = _public_cache(services, clock, f"meta:{fiscal_year}:{base}")
    return await cached_json(request, cache, key, render, max_age=PUBLIC_MAX_AGE)
