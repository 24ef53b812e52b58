"""The volunteer registry's request and response schemas, their examples and converters.

Response schemas read the domain objects by attribute (`from_attributes`): a field has the
name of the entity's field. Converters are written by hand only where the shapes differ:
the full national ID (revealed on purpose, never by default), the approval (the volunteer
and its one-time activation code side by side) and the activation's account.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self
from uuid import UUID

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from api.pagination import PagePublic
from api.schemas import ApiModel
from domain.accounts.model import Account
from domain.volunteers.model import Volunteer, VolunteerStatus
from domain.volunteers.ports import VolunteerSummary
from domain.volunteers.use_cases import Approval, PersonalDataExport, VolunteerChanges

#: The validation context under which `VolunteerPublic.national_id` is filled.
_REVEAL = "reveal_national_id"

_OFFICER_ID = "5d0c3a1e-2f4b-4c6d-8e9f-0a1b2c3d4e5f"
_VOLUNTEER_ID = "0b7e4f0e-6a55-4c8e-9a51-3c0f6f1f8a10"
_ACCOUNT_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


# -- applying and activating (public) ----------------------------------------------------

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
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": _VOLUNTEER_ID,
                    "status": "applied",
                    "province_code": "40",
                    "national_id_masked": "*********0708",
                }
            ]
        },
    )

    id: UUID
    status: VolunteerStatus
    province_code: str
    national_id_masked: str | None


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
    """The volunteer's account, ready for signing in."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": _ACCOUNT_ID,
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

    @classmethod
    def of(cls, account: Account) -> Self:
        return cls(
            account_id=account.id,
            username=account.username,
            role=account.role.value,
            province_code=account.province_code,
        )


# -- a volunteer as officers see it ------------------------------------------------------

_TRAINING_EXAMPLE: dict[str, Any] = {
    "id": "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98",
    "course_title": "หลักสูตรอาสาสมัครแรงงานต้านทุจริต",
    "held_on": "2026-11-22",
    "hours": 6,
    "certificate_number": "KK-2569-0042",
    "organiser": "สำนักงานแรงงานจังหวัดขอนแก่น",
    "recorded_at": "2026-11-22T04:00:00Z",
    "recorded_by": _OFFICER_ID,
}

_APPROVED_EXAMPLE: dict[str, Any] = {
    "from_status": "applied",
    "to_status": "active",
    "reason": "เอกสารครบถ้วน ผ่านการสัมภาษณ์",
    "actor_id": _OFFICER_ID,
    "at": "2026-11-21T03:00:00Z",
}

_HISTORY_EXAMPLE: list[dict[str, Any]] = [
    {
        "from_status": None,
        "to_status": "applied",
        "reason": None,
        "actor_id": "anonymous",
        "at": "2026-11-20T02:00:00Z",
    },
    _APPROVED_EXAMPLE,
]

#: Applied, approved, trained and pledged: version 4.
_VOLUNTEER_EXAMPLE: dict[str, Any] = {
    "id": _VOLUNTEER_ID,
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
    "approved_by": _OFFICER_ID,
    "pledged_on": "2026-11-22",
    "account_id": _ACCOUNT_ID,
    "trained": True,
    "trainings_count": 1,
    "trainings": [_TRAINING_EXAMPLE],
    "history": _HISTORY_EXAMPLE,
    "erased": False,
    "duplicate_of": None,
    "created_at": "2026-11-20T02:00:00Z",
    "updated_at": "2026-11-22T05:00:00Z",
    "version": 4,
}


class TrainingPublic(ApiModel):
    """A training the volunteer attended."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_TRAINING_EXAMPLE]}
    )

    id: UUID
    course_title: str
    held_on: date
    hours: int
    certificate_number: str | None = Field(description="Cleared when personal data is erased")
    organiser: str | None = Field(description="Trainer or organising body")
    recorded_at: datetime
    recorded_by: UUID


class VolunteerStatusChangePublic(ApiModel):
    """One step of a volunteer's status history."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_APPROVED_EXAMPLE]}
    )

    from_status: VolunteerStatus | None = Field(description="Null for the application")
    to_status: VolunteerStatus
    reason: str | None = Field(description="Free text; cleared when personal data is erased")
    actor_id: str = Field(description="Account id, or 'anonymous' for the public application")
    at: datetime


class VolunteerPublic(ApiModel):
    """A volunteer as officers see it; `national_id` is filled for admins only (audited)."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_VOLUNTEER_EXAMPLE]}
    )

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
    history: list[VolunteerStatusChangePublic]
    erased: bool = Field(description="Personal data was erased on retirement (PDPA)")
    duplicate_of: UUID | None = Field(
        description="Another registration with the same national ID (the earliest), found "
        "when this application arrived: check before approving. Null: none. The applicant "
        "was answered as anyone else (the form tells no one whether an ID is registered)."
    )
    created_at: datetime
    updated_at: datetime
    version: int

    @field_validator("national_id")
    @classmethod
    def _only_when_revealed(cls, value: str | None, info: ValidationInfo) -> str | None:
        """The full national ID stays out unless the converter is told to reveal it, so a
        plain `model_validate(volunteer)` can never leak it."""
        return value if info.context and info.context.get(_REVEAL) else None

    @classmethod
    def of(cls, volunteer: Volunteer, *, reveal_national_id: bool = False) -> Self:
        return cls.model_validate(volunteer, context={_REVEAL: reveal_national_id})


class VolunteerApprovalPublic(VolunteerPublic):
    """The approved volunteer and the one-time activation code (shown only here, once)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _VOLUNTEER_EXAMPLE
                | {
                    "pledged_on": None,
                    "trained": False,
                    "trainings_count": 0,
                    "trainings": [],
                    "updated_at": "2026-11-21T03:00:00Z",
                    "version": 2,
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

    @classmethod
    def of_approval(cls, approval: Approval) -> Self:
        return cls(
            **dict(VolunteerPublic.of(approval.volunteer)),
            activation_code=approval.activation_code,
            activation_expires_at=approval.activation_expires_at,
        )


_SUMMARY_EXAMPLE: dict[str, Any] = {
    name: _VOLUNTEER_EXAMPLE[name]
    for name in (
        "id",
        "full_name_th",
        "full_name_en",
        "province_code",
        "district",
        "status",
        "trained",
        "applied_at",
    )
} | {"possible_duplicate": False}


class VolunteerSummaryPublic(ApiModel):
    """A volunteer in a list: no national ID, contact details or date of birth."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_SUMMARY_EXAMPLE]}
    )

    id: UUID
    full_name_th: str
    full_name_en: str | None
    province_code: str
    district: str | None
    status: VolunteerStatus
    trained: bool
    applied_at: datetime
    possible_duplicate: bool = Field(
        description="Another registration holds the same national ID (`duplicate_of`)"
    )

    @staticmethod
    def values(volunteer: VolunteerSummary) -> dict[str, Any]:
        """The item as plain values, for `VolunteerSummaryPage.render` (no model per item)."""
        return {
            "id": str(volunteer.id),
            "full_name_th": volunteer.full_name_th,
            "full_name_en": volunteer.full_name_en,
            "province_code": volunteer.province_code,
            "district": volunteer.district,
            "status": volunteer.status.value,
            "trained": volunteer.trained,
            "applied_at": volunteer.applied_at,
            "possible_duplicate": volunteer.possible_duplicate,
        }


class VolunteerSummaryPage(PagePublic[VolunteerSummaryPublic]):
    """A page of volunteers, newest application first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_SUMMARY_EXAMPLE],
                    "next_cursor": "WyJ0IiwiMjAyNi0xMS0yMFQwMjowMDowMCswMDowMCIsIjBiN2U0ZjBlLT"
                    "ZhNTUtNGM4ZS05YTUxLTNjMGY2ZjFmOGExMCJd",
                }
            ]
        }
    )


# -- changes by officers -----------------------------------------------------------------

_UPDATE_EXAMPLE: dict[str, Any] = {"phone": "0898765432", "district": "บ้านไผ่"}


class _Changes(ApiModel):
    def changes(self) -> VolunteerChanges:
        """The fields sent (an omitted field stays; null clears an optional one)."""
        sent = self.model_dump(exclude_unset=True)
        return VolunteerChanges(fields=frozenset(sent), **sent)


class VolunteerUpdate(_Changes):
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


class TransitionRequest(ApiModel):
    """Why the status changes."""

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
    """Why the volunteer retires, and whether their personal data is erased with it."""

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
                    name: _TRAINING_EXAMPLE[name]
                    for name in (
                        "course_title",
                        "held_on",
                        "hours",
                        "certificate_number",
                        "organiser",
                    )
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
    """The training recorded, and the volunteer with it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"training": _TRAINING_EXAMPLE, "volunteer": _VOLUNTEER_EXAMPLE}]
        }
    )

    training: TrainingPublic
    volunteer: VolunteerPublic


class PledgeCreate(ApiModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"pledged_on": "2026-11-22"}]}
    )

    pledged_on: date | None = Field(default=None, description="Defaults to today (Bangkok)")


# -- the volunteer's own profile ---------------------------------------------------------

_OWN_FIELDS = (
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


class OwnVolunteerPublic(ApiModel):
    """The volunteer's own profile (national ID masked)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{name: _VOLUNTEER_EXAMPLE[name] for name in _OWN_FIELDS}]},
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


class OwnVolunteerUpdate(_Changes):
    """What volunteers may change themselves: contact details, district, occupation."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_UPDATE_EXAMPLE]})

    full_name_en: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    district: str | None = Field(default=None, max_length=100)
    occupation: str | None = Field(default=None, max_length=200)


_ACCOUNT_EXAMPLE: dict[str, Any] = {
    "id": _ACCOUNT_ID,
    "username": "somchai.kk",
    "role": "volunteer",
    "province_code": "40",
    "is_active": True,
    "created_at": "2026-11-21T03:00:00Z",
    "last_login_at": "2026-11-25T09:58:00Z",
}


class AccountExport(ApiModel):
    """The volunteer's account, as held (no password)."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_ACCOUNT_EXAMPLE]}
    )

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
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "exported_at": "2026-11-25T10:00:00Z",
                    "volunteer": _VOLUNTEER_EXAMPLE | {"national_id": "1101700230708"},
                    "account": _ACCOUNT_EXAMPLE,
                    "notes": [
                        "The audit log also records when this profile was created, changed "
                        "and read; ask your provincial labour office for those entries."
                    ],
                }
            ]
        },
    )

    exported_at: datetime
    volunteer: VolunteerPublic = Field(description="The full national ID included")
    account: AccountExport | None
    notes: list[str]

    @classmethod
    def of(cls, export: PersonalDataExport) -> Self:
        """The person's own data, their full national ID included."""
        return cls.model_validate(export, context={_REVEAL: True})
