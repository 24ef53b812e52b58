"""The volunteer registry: public applications, management by officers, own profiles."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import ConfigDict, Field

from api.concurrency import IfMatch, expected_version, set_etag
from api.deps import Hasher, Uow, requires
from api.idempotency import REPLAYED_HEADER, IdempotencyKeyHeader, idempotency_key
from api.pagination import Paging
from api.problems import problem_responses
from api.ratelimit import Budget, Limits, limited
from api.schemas import ApiModel
from api.services import SettingsDep, Svc
from domain.policy import Action, Principal
from domain.volunteers import use_cases as uc
from domain.volunteers.errors import ActivationCodeInvalid
from domain.volunteers.model import (
    StatusChange,
    Training,
    Transition,
    Volunteer,
    VolunteerStatus,
)
from domain.volunteers.ports import VolunteerFilter, VolunteerSummary

router = APIRouter(prefix="/api/v1/volunteers", tags=["volunteers"])
me_router = APIRouter(prefix="/api/v1/me/volunteer", tags=["volunteers"])

VolunteerId = Annotated[UUID, Path(description="The volunteer's id")]

#: The 200 response of reads and writes of one volunteer documents its ETag header.
_WITH_ETAG: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "ETag": {
                "description": 'The version of the volunteer, for If-Match (e.g. `"v3"`)',
                "schema": {"type": "string"},
            }
        }
    }
}


_APPLICATION_RESPONSES = problem_responses(401, 409, 422, 429)
_APPLICATION_RESPONSES[201] = {
    "headers": {
        "Location": {"description": "The volunteer's URL", "schema": {"type": "string"}},
        REPLAYED_HEADER: {
            "description": "`true` when this answers a retry with the same key",
            "schema": {"type": "string"},
        },
    }
}


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return _WITH_ETAG | problem_responses(*statuses)


# -- schemas -----------------------------------------------------------------------------

_APPLICATION_EXAMPLE: dict[str, Any] = {
    "full_name_th": "นายสมชาย ใจดี",
    "full_name_en": "Somchai Jaidee",
    "national_id": "1101700230708",
    "date_of_birth": "1985-04-12",
    "phone": "081-234-5678",
    "email": "somchai@example.org",
    "province_code": "40",
    "district": "เมืองขอนแก่น",
    "occupation": "ลูกจ้างโรงงาน",
}


class VolunteerApplicationCreate(ApiModel):
    """A public application to become a labour volunteer (อาสาสมัครแรงงาน)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_APPLICATION_EXAMPLE]}
    )

    full_name_th: str = Field(min_length=1, max_length=200, description="Full name in Thai")
    full_name_en: str | None = Field(default=None, max_length=200)
    national_id: str = Field(
        max_length=20, description="Thai national ID, 13 digits (check digit validated)"
    )
    date_of_birth: date = Field(description="Applicants must be at least 18")
    phone: str = Field(
        max_length=20, description="Thai mobile: 06/08/09 + 8 digits, or +66; stored as E.164"
    )
    email: str | None = Field(default=None, max_length=254)
    province_code: str = Field(pattern=r"^[0-9]{2}$", examples=["40"])
    district: str | None = Field(default=None, max_length=100, description="Free text")
    occupation: str | None = Field(default=None, max_length=200, description="Or affiliation")


class VolunteerApplicationPublic(ApiModel):
    """The receipt of an application: no personal data beyond the masked national ID."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7e4f0e-6a55-4c8e-9a51-3c0f6f1f8a10",
                    "status": "applied",
                    "province_code": "40",
                    "national_id_masked": "*********0708",
                }
            ]
        }
    )

    id: UUID
    status: VolunteerStatus
    province_code: str
    national_id_masked: str | None


class TrainingPublic(ApiModel):
    id: UUID
    course_title: str
    held_on: date
    hours: int
    certificate_number: str | None
    organiser: str | None = Field(description="Trainer or organising body")
    recorded_at: datetime
    recorded_by: UUID

    @classmethod
    def of(cls, t: Training) -> TrainingPublic:
        return cls(
            id=t.id,
            course_title=t.course_title,
            held_on=t.held_on,
            hours=t.hours,
            certificate_number=t.certificate_number,
            organiser=t.organiser,
            recorded_at=t.recorded_at,
            recorded_by=t.recorded_by,
        )


class StatusChangePublic(ApiModel):
    from_status: VolunteerStatus | None
    to_status: VolunteerStatus
    reason: str | None = Field(description="Free text; cleared when personal data is erased")
    actor_id: str = Field(description="Account id, or 'anonymous' for the public application")
    at: datetime

    @classmethod
    def of(cls, c: StatusChange) -> StatusChangePublic:
        return cls(
            from_status=c.from_status,
            to_status=c.to_status,
            reason=c.reason,
            actor_id=c.actor_id,
            at=c.at,
        )


_VOLUNTEER_EXAMPLE: dict[str, Any] = {
    "id": "0b7e4f0e-6a55-4c8e-9a51-3c0f6f1f8a10",
    "status": "active",
    "province_code": "40",
    "national_id_masked": "*********0708",
    "national_id": None,
    "full_name_th": "นายสมชาย ใจดี",
    "full_name_en": "Somchai Jaidee",
    "date_of_birth": "1985-04-12",
    "phone": "+66812345678",
    "email": "somchai@example.org",
    "district": "เมืองขอนแก่น",
    "occupation": "ลูกจ้างโรงงาน",
    "applied_at": "2026-11-20T02:00:00Z",
    "approved_at": "2026-11-21T03:00:00Z",
    "approved_by": "5d0c3a1e-2f4b-4c6d-8e9f-0a1b2c3d4e5f",
    "pledged_on": "2026-11-22",
    "account_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "trained": True,
    "trainings_count": 1,
    "trainings": [],
    "history": [],
    "erased": False,
    "created_at": "2026-11-20T02:00:00Z",
    "updated_at": "2026-11-22T05:00:00Z",
    "version": 4,
}


class VolunteerPublic(ApiModel):
    """A volunteer as officers see it; `national_id` is filled for admins only (audited)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_VOLUNTEER_EXAMPLE]})

    id: UUID
    status: VolunteerStatus
    province_code: str
    national_id_masked: str | None = Field(description="Last 4 digits; null once erased")
    national_id: str | None = Field(
        default=None, description="The full ID: admins only, on GET, and each read is audited"
    )
    full_name_th: str
    full_name_en: str | None
    date_of_birth: date | None
    phone: str | None = Field(description="E.164, e.g. +66812345678")
    email: str | None
    district: str | None
    occupation: str | None
    applied_at: datetime
    approved_at: datetime | None
    approved_by: UUID | None
    pledged_on: date | None = Field(description="Date of the public pledge (ประกาศเจตนารมณ์)")
    account_id: UUID | None
    trained: bool
    trainings_count: int
    trainings: list[TrainingPublic]
    history: list[StatusChangePublic]
    erased: bool = Field(description="Personal data was erased on retirement (PDPA)")
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def fields_of(cls, v: Volunteer, *, reveal_national_id: bool = False) -> dict[str, Any]:
        return {
            "id": v.id,
            "status": v.status,
            "province_code": v.province_code,
            "national_id_masked": v.national_id_masked,
            "national_id": v.national_id if reveal_national_id else None,
            "full_name_th": v.full_name_th,
            "full_name_en": v.full_name_en,
            "date_of_birth": v.date_of_birth,
            "phone": v.phone,
            "email": v.email,
            "district": v.district,
            "occupation": v.occupation,
            "applied_at": v.applied_at,
            "approved_at": v.approved_at,
            "approved_by": v.approved_by,
            "pledged_on": v.pledged_on,
            "account_id": v.account_id,
            "trained": v.trained,
            "trainings_count": len(v.trainings),
            "trainings": [TrainingPublic.of(t) for t in v.trainings],
            "history": [StatusChangePublic.of(c) for c in v.history],
            "erased": v.erased,
            "created_at": v.created_at,
            "updated_at": v.updated_at,
            "version": v.version,
        }

    @classmethod
    def of(cls, v: Volunteer, *, reveal_national_id: bool = False) -> VolunteerPublic:
        return cls(**cls.fields_of(v, reveal_national_id=reveal_national_id))


class VolunteerApprovalPublic(VolunteerPublic):
    """The approved volunteer and the one-time activation code (shown only here, once)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _VOLUNTEER_EXAMPLE
                | {
                    "activation_code": "K7QX-M2PA-9ZC4-TR5B-WE3N-H8DY",
                    "activation_expires_at": "2026-12-05T03:00:00Z",
                }
            ]
        }
    )

    activation_code: str = Field(
        description="Give it to the volunteer: POST /api/v1/volunteers/activate; stored hashed"
    )
    activation_expires_at: datetime


class VolunteerListItem(ApiModel):
    """No national ID, contact details or date of birth in lists."""

    id: UUID
    full_name_th: str
    full_name_en: str | None
    province_code: str
    district: str | None
    status: VolunteerStatus
    trained: bool
    applied_at: datetime

    @classmethod
    def of(cls, s: VolunteerSummary) -> VolunteerListItem:
        return cls(
            id=s.id,
            full_name_th=s.full_name_th,
            full_name_en=s.full_name_en,
            province_code=s.province_code,
            district=s.district,
            status=s.status,
            trained=s.trained,
            applied_at=s.applied_at,
        )


class VolunteerList(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": "0b7e4f0e-6a55-4c8e-9a51-3c0f6f1f8a10",
                            "full_name_th": "นายสมชาย ใจดี",
                            "full_name_en": "Somchai Jaidee",
                            "province_code": "40",
                            "district": "เมืองขอนแก่น",
                            "status": "active",
                            "trained": True,
                            "applied_at": "2026-11-20T02:00:00Z",
                        }
                    ],
                    "next_cursor": "eyJjIjogIjIwMjYtMTEtMjBUMDI6MDA6MDArMDA6MDAiLCAiaSI6ICIuLi4ifQ",
                }
            ]
        }
    )

    items: list[VolunteerListItem]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


_UPDATE_EXAMPLE: dict[str, Any] = {"phone": "0898765432", "district": "บ้านไผ่"}


class VolunteerUpdate(ApiModel):
    """Fields to change; omitted fields stay, null clears an optional one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [_UPDATE_EXAMPLE, {"province_code": "10"}]},
    )

    full_name_th: str | None = Field(default=None, max_length=200)
    full_name_en: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = None
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    district: str | None = Field(default=None, max_length=100)
    occupation: str | None = Field(default=None, max_length=200)
    province_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{2}$",
        description="Moving to another province: admin and central officers only",
    )


class OwnVolunteerUpdate(ApiModel):
    """What volunteers may change themselves: contact details, district, occupation."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_UPDATE_EXAMPLE]})

    full_name_en: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    district: str | None = Field(default=None, max_length=100)
    occupation: str | None = Field(default=None, max_length=200)


class TransitionRequest(ApiModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "เอกสารครบถ้วน ผ่านการสัมภาษณ์"}]},
    )

    reason: str = Field(
        min_length=1,
        max_length=1000,
        description="Why; kept in the status history (not in the audit log), erased on request",
    )


class RetireRequest(TransitionRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "ขอลาออก", "erase": True}]},
    )

    erase: bool = Field(
        default=False,
        description="Irreversibly anonymise personal data (PDPA erasure request)",
    )


class TrainingCreate(ApiModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "course_title": "หลักสูตรอาสาสมัครแรงงานต้านทุจริต",
                    "held_on": "2026-11-22",
                    "hours": 6,
                    "certificate_number": "KK-2569-0042",
                    "organiser": "สำนักงานแรงงานจังหวัดขอนแก่น",
                }
            ]
        },
    )

    course_title: str = Field(min_length=1, max_length=300)
    held_on: date
    hours: int = Field(ge=1, le=1000)
    certificate_number: str | None = Field(default=None, max_length=100)
    organiser: str | None = Field(default=None, max_length=300, description="Trainer/organiser")


class TrainingRecorded(ApiModel):
    training: TrainingPublic
    volunteer: VolunteerPublic


class PledgeCreate(ApiModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"pledged_on": "2026-11-22"}]}
    )

    pledged_on: date | None = Field(default=None, description="Defaults to today (Bangkok)")


class ActivationRequest(ApiModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activation_code": "K7QX-M2PA-9ZC4-TR5B-WE3N-H8DY",
                    "username": "somchai.kk",
                    "password": "correct horse battery staple",
                }
            ]
        },
    )

    activation_code: str = Field(min_length=1, max_length=64)
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024, description="12 to 1024 characters")


class ActivationPublic(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                    "username": "somchai.kk",
                    "role": "volunteer",
                    "province_code": "40",
                }
            ]
        }
    )

    account_id: UUID
    username: str
    role: str
    province_code: str | None


class OwnVolunteerPublic(ApiModel):
    """The volunteer's own profile (national ID masked)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    k: _VOLUNTEER_EXAMPLE[k]
                    for k in (
                        "id",
                        "status",
                        "province_code",
                        "national_id_masked",
                        "full_name_th",
                        "full_name_en",
                        "date_of_birth",
                        "phone",
                        "email",
                        "district",
                        "occupation",
                        "applied_at",
                        "approved_at",
                        "pledged_on",
                        "trained",
                        "trainings",
                        "version",
                    )
                }
            ]
        }
    )

    id: UUID
    status: VolunteerStatus
    province_code: str
    national_id_masked: str | None
    full_name_th: str
    full_name_en: str | None
    date_of_birth: date | None
    phone: str | None
    email: str | None
    district: str | None
    occupation: str | None
    applied_at: datetime
    approved_at: datetime | None
    pledged_on: date | None
    trained: bool
    trainings: list[TrainingPublic]
    version: int

    @classmethod
    def of(cls, v: Volunteer) -> OwnVolunteerPublic:
        full = VolunteerPublic.fields_of(v)
        return cls(**{name: full[name] for name in cls.model_fields})


class AccountExport(ApiModel):
    id: UUID
    username: str
    role: str
    province_code: str | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class VolunteerExport(ApiModel):
    """Everything held about the caller as a volunteer (PDPA right of access)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "exported_at": "2026-11-25T10:00:00Z",
                    "volunteer": _VOLUNTEER_EXAMPLE | {"national_id": "1101700230708"},
                    "account": {
                        "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                        "username": "somchai.kk",
                        "role": "volunteer",
                        "province_code": "40",
                        "is_active": True,
                        "created_at": "2026-11-21T03:00:00Z",
                        "last_login_at": None,
                    },
                    "notes": ["..."],
                }
            ]
        }
    )

    exported_at: datetime
    volunteer: VolunteerPublic
    account: AccountExport | None
    notes: list[str]


# -- helpers -----------------------------------------------------------------------------


def changes_of(body: VolunteerUpdate | OwnVolunteerUpdate) -> uc.VolunteerChanges:
    sent = body.model_dump(exclude_unset=True)
    return uc.VolunteerChanges(fields=frozenset(sent), **sent)


def _with_etag(response: Response, volunteer: Volunteer) -> None:
    set_etag(response, volunteer.version)


# -- public ------------------------------------------------------------------------------


@router.post(
    "/applications",
    status_code=201,
    response_model=VolunteerApplicationPublic,
    responses=_APPLICATION_RESPONSES,
    dependencies=[limited(Budget.VOLUNTEER_APPLICATION)],
)
async def volunteers_apply(
    services: Svc,
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_APPLY)],
    body: VolunteerApplicationCreate,
    idempotency_header: IdempotencyKeyHeader = None,
) -> VolunteerApplicationPublic:
    """Apply to become a labour volunteer (public, rate-limited, idempotent).

    Send an `Idempotency-Key` so a retry over a bad network cannot apply twice: the replay
    answers 201 with the same id and `Idempotent-Replayed: true`. A national ID already in
    the registry is a 409 that says nothing about the existing record.
    """
    # The fingerprint covers a keyed hash of the national ID, never the ID itself.
    fingerprinted = body.model_copy(
        update={
            "national_id": services.keyring.keyed_hash(
                body.national_id, purpose="idempotency_national_id"
            )
        }
    )
    key = idempotency_key(
        idempotency_header, caller=caller, operation="volunteers_apply", body=fingerprinted
    )
    receipt = await uc.apply_to_volunteer(
        uow,
        actor=caller,
        application=uc.VolunteerApplication(**body.model_dump()),
        idempotency_key=key,
    )
    if receipt.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    response.headers["Location"] = f"/api/v1/volunteers/{receipt.id}"
    return VolunteerApplicationPublic(
        id=receipt.id,
        status=VolunteerStatus(receipt.status),
        province_code=receipt.province_code,
        national_id_masked=receipt.national_id_masked,
    )


@router.post(
    "/activate",
    response_model=ActivationPublic,
    responses=problem_responses(401, 404, 409, 422, 429),
)
async def volunteers_activate(
    limits: Limits,
    uow: Uow,
    hasher: Hasher,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_ACTIVATE)],
    body: ActivationRequest,
) -> ActivationPublic:
    """Activate a volunteer account with the one-time code: choose username and password.

    Public. Wrong, used or expired codes all answer the same 404; failed attempts are
    rate-limited per client. Username taken: 409.
    """
    await limits.check(Budget.VOLUNTEER_ACTIVATION_FAILURE)
    try:
        account = await uc.activate_account(
            uow,
            actor=caller,
            activation_code=body.activation_code,
            username=body.username,
            password=body.password,
            hasher=hasher,
        )
    except ActivationCodeInvalid:
        await limits.hit(Budget.VOLUNTEER_ACTIVATION_FAILURE)
        raise
    return ActivationPublic(
        account_id=account.id,
        username=account.username,
        role=account.role.value,
        province_code=account.province_code,
    )


# -- officers ----------------------------------------------------------------------------


@router.get("", response_model=VolunteerList, responses=problem_responses(401, 403, 422))
async def volunteers_list(
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_LIST)],
    paging: Paging,
    province_code: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None,
    status: VolunteerStatus | None = None,
    trained: Annotated[bool | None, Query(description="Has at least one training")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Part of the Thai or English name (trigram search; Thai substrings work)",
            examples=["สมชาย"],
        ),
    ] = None,
) -> VolunteerList:
    """List volunteers, newest application first (provincial officers: own province only)."""
    page = await uc.list_volunteers(
        uow,
        actor=caller,
        criteria=VolunteerFilter(
            province_code=province_code, status=status, trained=trained, name=q
        ),
        page=paging.by_time(),
    )
    return VolunteerList(
        items=[VolunteerListItem.of(item) for item in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{volunteer_id}",
    response_model=VolunteerPublic,
    responses=_responses(401, 403, 404, 422),
)
async def volunteers_get(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_READ)],
    volunteer_id: VolunteerId,
) -> VolunteerPublic:
    """Get one volunteer, with trainings and status history; sends an ETag.

    The national ID is masked except for admins, whose every read is audited.
    """
    view = await uc.get_volunteer(uow, actor=caller, volunteer_id=volunteer_id)
    _with_etag(response, view.volunteer)
    return VolunteerPublic.of(view.volunteer, reveal_national_id=view.national_id_revealed)


@router.patch(
    "/{volunteer_id}",
    response_model=VolunteerPublic,
    responses=_responses(401, 403, 404, 409, 412, 422, 428),
)
async def volunteers_update(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_UPDATE)],
    volunteer_id: VolunteerId,
    body: VolunteerUpdate,
    if_match: IfMatch = None,
) -> VolunteerPublic:
    """Change a volunteer's data (If-Match required); moving province is a central action."""
    volunteer = await uc.update_volunteer(
        uow,
        actor=caller,
        volunteer_id=volunteer_id,
        changes=changes_of(body),
        expected_version=expected_version(if_match),
    )
    _with_etag(response, volunteer)
    return VolunteerPublic.of(volunteer)


_TRANSITION_ERRORS = _responses(401, 403, 404, 409, 422)


@router.post(
    "/{volunteer_id}/approve",
    response_model=VolunteerApprovalPublic,
    responses=_TRANSITION_ERRORS,
)
async def volunteers_approve(
    settings: SettingsDep,
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_APPROVE)],
    volunteer_id: VolunteerId,
    body: TransitionRequest,
    idempotency_header: IdempotencyKeyHeader = None,
) -> VolunteerApprovalPublic:
    """Approve an application: creates the volunteer's account and a one-time activation code.

    The code is in this response only. Send an `Idempotency-Key` so that a retry after a
    lost response returns the same code (`Idempotent-Replayed: true`) instead of a 409.
    """
    days = settings.volunteer_activation_days
    approval = await uc.approve_volunteer(
        uow,
        actor=caller,
        volunteer_id=volunteer_id,
        reason=body.reason,
        activation_ttl=timedelta(days=days),
        idempotency_key=idempotency_key(
            idempotency_header,
            caller=caller,
            operation=f"volunteers_approve:{volunteer_id}",
            body=body,
        ),
    )
    if approval.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    _with_etag(response, approval.volunteer)
    response.headers["Cache-Control"] = "no-store"
    return VolunteerApprovalPublic(
        **VolunteerPublic.fields_of(approval.volunteer),
        activation_code=approval.activation_code,
        activation_expires_at=approval.activation_expires_at,
    )


@router.post("/{volunteer_id}/reject", response_model=VolunteerPublic, responses=_TRANSITION_ERRORS)
async def volunteers_reject(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_REJECT)],
    volunteer_id: VolunteerId,
    body: TransitionRequest,
) -> VolunteerPublic:
    """Reject an application."""
    volunteer = await uc.change_status(
        uow, actor=caller, volunteer_id=volunteer_id, move=Transition.REJECT, reason=body.reason
    )
    _with_etag(response, volunteer)
    return VolunteerPublic.of(volunteer)


@router.post(
    "/{volunteer_id}/suspend", response_model=VolunteerPublic, responses=_TRANSITION_ERRORS
)
async def volunteers_suspend(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_SUSPEND)],
    volunteer_id: VolunteerId,
    body: TransitionRequest,
) -> VolunteerPublic:
    """Suspend an active volunteer; their account is deactivated."""
    volunteer = await uc.change_status(
        uow, actor=caller, volunteer_id=volunteer_id, move=Transition.SUSPEND, reason=body.reason
    )
    _with_etag(response, volunteer)
    return VolunteerPublic.of(volunteer)


@router.post(
    "/{volunteer_id}/reinstate", response_model=VolunteerPublic, responses=_TRANSITION_ERRORS
)
async def volunteers_reinstate(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_REINSTATE)],
    volunteer_id: VolunteerId,
    body: TransitionRequest,
) -> VolunteerPublic:
    """Reinstate a suspended volunteer; their account is reactivated."""
    volunteer = await uc.change_status(
        uow, actor=caller, volunteer_id=volunteer_id, move=Transition.REINSTATE, reason=body.reason
    )
    _with_etag(response, volunteer)
    return VolunteerPublic.of(volunteer)


@router.post("/{volunteer_id}/retire", response_model=VolunteerPublic, responses=_TRANSITION_ERRORS)
async def volunteers_retire(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_RETIRE)],
    volunteer_id: VolunteerId,
    body: RetireRequest,
) -> VolunteerPublic:
    """Retire a volunteer; with `erase: true` their personal data is irreversibly anonymised."""
    volunteer = await uc.retire_volunteer(
        uow, actor=caller, volunteer_id=volunteer_id, reason=body.reason, erase=body.erase
    )
    _with_etag(response, volunteer)
    return VolunteerPublic.of(volunteer)


@router.post("/{volunteer_id}/erase", response_model=VolunteerPublic, responses=_TRANSITION_ERRORS)
async def volunteers_erase(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_ERASE)],
    volunteer_id: VolunteerId,
) -> VolunteerPublic:
    """Erase the personal data of a retired volunteer or a rejected applicant (PDPA).

    For a volunteer retired earlier without `erase`, or an applicant who was rejected;
    irreversible. Active or suspended volunteers are retired with `erase: true` instead.
    """
    volunteer = await uc.erase_volunteer(uow, actor=caller, volunteer_id=volunteer_id)
    _with_etag(response, volunteer)
    return VolunteerPublic.of(volunteer)


@router.post(
    "/{volunteer_id}/trainings",
    status_code=201,
    response_model=TrainingRecorded,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def volunteers_record_training(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_TRAINING_RECORD)],
    volunteer_id: VolunteerId,
    body: TrainingCreate,
) -> TrainingRecorded:
    """Record a training the volunteer attended (course, date, hours, certificate, organiser)."""
    volunteer, training = await uc.record_training(
        uow,
        actor=caller,
        volunteer_id=volunteer_id,
        training=uc.TrainingInput(**body.model_dump()),
    )
    _with_etag(response, volunteer)
    return TrainingRecorded(
        training=TrainingPublic.of(training), volunteer=VolunteerPublic.of(volunteer)
    )


@router.post("/{volunteer_id}/pledge", response_model=VolunteerPublic, responses=_TRANSITION_ERRORS)
async def volunteers_pledge(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_PLEDGE)],
    volunteer_id: VolunteerId,
    body: Annotated[PledgeCreate | None, Body()] = None,
) -> VolunteerPublic:
    """Record the volunteer's public pledge (ประกาศเจตนารมณ์); once per volunteer."""
    volunteer = await uc.record_pledge(
        uow,
        actor=caller,
        volunteer_id=volunteer_id,
        pledged_on=body.pledged_on if body else None,
    )
    _with_etag(response, volunteer)
    return VolunteerPublic.of(volunteer)


# -- the volunteer's own profile ---------------------------------------------------------


@me_router.get("", response_model=OwnVolunteerPublic, responses=_responses(401, 403, 404))
async def me_volunteer_get(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_SELF_READ)],
) -> OwnVolunteerPublic:
    """Read my own volunteer profile (national ID masked); sends an ETag."""
    volunteer = await uc.get_own_profile(uow, actor=caller)
    _with_etag(response, volunteer)
    return OwnVolunteerPublic.of(volunteer)


@me_router.patch(
    "",
    response_model=OwnVolunteerPublic,
    responses=_responses(401, 403, 404, 412, 422, 428),
)
async def me_volunteer_update(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_SELF_UPDATE)],
    body: OwnVolunteerUpdate,
    if_match: IfMatch = None,
) -> OwnVolunteerPublic:
    """Update my own contact details, district or occupation (If-Match required)."""
    volunteer = await uc.update_own_profile(
        uow, actor=caller, changes=changes_of(body), expected_version=expected_version(if_match)
    )
    _with_etag(response, volunteer)
    return OwnVolunteerPublic.of(volunteer)


@me_router.get(
    "/export", response_model=VolunteerExport, responses=problem_responses(401, 403, 404)
)
async def me_volunteer_export(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_SELF_EXPORT)],
) -> VolunteerExport:
    """Export everything held about me as a volunteer, as JSON (PDPA right of access; audited)."""
    export = await uc.export_own_data(uow, actor=caller)
    response.headers["Cache-Control"] = "no-store"
    account = export.account
    return VolunteerExport(
        exported_at=export.exported_at,
        volunteer=VolunteerPublic.of(export.volunteer, reveal_national_id=True),
        account=AccountExport(
            id=account.id,
            username=account.username,
            role=account.role.value,
            province_code=account.province_code,
            is_active=account.is_active,
            created_at=account.created_at,
            last_login_at=account.last_login_at,
        )
        if account
        else None,
        notes=export.notes,
    )
