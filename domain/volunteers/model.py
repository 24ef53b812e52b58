"""The volunteer (อาสาสมัครแรงงาน): entity and its lifecycle (a domain/workflow.py table).

Lifecycle::

    applied --approve--> active --suspend--> suspended --reinstate--> active
    applied --reject---> rejected
    active | suspended --retire--> retired

Every transition takes a reason, records who and when (a `StatusChange`, kept in the
status history), and bumps the version. The national ID and other personal fields are
plaintext here; persistence seals them at rest.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from domain.audit.model import AuditAction
from domain.errors import Conflict
from domain.policy import Action
from domain.volunteers.errors import VolunteerNotActive
from domain.volunteers.identity import clean_text, mask_national_id
from domain.workflow import Move, Workflow

#: What erased names become; the record (counts, history, audit) stays.
ERASED_NAME = "[ลบข้อมูลแล้ว / erased]"


class VolunteerStatus(StrEnum):
    APPLIED = "applied"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class Transition(StrEnum):
    """The names of the status moves; each is also its URL (`POST .../{id}/<name>`)."""

    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    RETIRE = "retire"


_APPLIED = frozenset({VolunteerStatus.APPLIED})

#: Every status move: from which statuses, to which status, under which policy action,
#: recorded as which audit action. Any other move is an InvalidTransition (409).
VOLUNTEER_WORKFLOW: Workflow[VolunteerStatus] = Workflow(
    "volunteer",
    [
        Move(
            Transition.APPROVE,
            _APPLIED,
            VolunteerStatus.ACTIVE,
            Action.VOLUNTEER_APPROVE,
            AuditAction.VOLUNTEER_APPROVED,
            "Approve an application: creates the volunteer's account and a one-time "
            "activation code.",
        ),
        Move(
            Transition.REJECT,
            _APPLIED,
            VolunteerStatus.REJECTED,
            Action.VOLUNTEER_REJECT,
            AuditAction.VOLUNTEER_REJECTED,
            "Reject an application.",
        ),
        Move(
            Transition.SUSPEND,
            frozenset({VolunteerStatus.ACTIVE}),
            VolunteerStatus.SUSPENDED,
            Action.VOLUNTEER_SUSPEND,
            AuditAction.VOLUNTEER_SUSPENDED,
            "Suspend an active volunteer; their account is deactivated.",
        ),
        Move(
            Transition.REINSTATE,
            frozenset({VolunteerStatus.SUSPENDED}),
            VolunteerStatus.ACTIVE,
            Action.VOLUNTEER_REINSTATE,
            AuditAction.VOLUNTEER_REINSTATED,
            "Reinstate a suspended volunteer; their account is reactivated.",
        ),
        Move(
            Transition.RETIRE,
            frozenset({VolunteerStatus.ACTIVE, VolunteerStatus.SUSPENDED}),
            VolunteerStatus.RETIRED,
            Action.VOLUNTEER_RETIRE,
            AuditAction.VOLUNTEER_RETIRED,
            "Retire a volunteer; with `erase: true` their personal data is irreversibly "
            "anonymised.",
        ),
    ],
)


@dataclass(slots=True)
class Training:
    id: UUID
    course_title: str
    held_on: date
    hours: int
    certificate_number: str | None
    organiser: str | None
    recorded_at: datetime
    recorded_by: UUID


@dataclass(slots=True)
class StatusChange:
    """One step of the lifecycle; `reason` is free text and never goes to the audit log."""

    id: UUID
    from_status: VolunteerStatus | None
    to_status: VolunteerStatus
    reason: str | None
    actor_id: str
    at: datetime


@dataclass(slots=True)
class Volunteer:
    id: UUID
    full_name_th: str
    full_name_en: str | None
    national_id: str | None  # None only once erased
    date_of_birth: date | None
    phone: str | None
    email: str | None
    province_code: str
    district: str | None
    occupation: str | None
    status: VolunteerStatus
    applied_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int = 1
    approved_at: datetime | None = None
    approved_by: UUID | None = None
    pledged_on: date | None = None
    account_id: UUID | None = None
    erased_at: datetime | None = None
    #: The earliest other registration with the same national ID, when there was one at
    #: application: flagged for officers, never refused (a refusal would tell anyone
    #: whether an ID is registered).
    duplicate_of: UUID | None = None
    trainings: list[Training] = field(default_factory=list)
    history: list[StatusChange] = field(default_factory=list)

    @classmethod
    def apply(
        cls,
        *,
        full_name_th: str,
        full_name_en: str | None,
        national_id: str,
        date_of_birth: date,
        phone: str,
        email: str | None,
        province_code: str,
        district: str | None,
        occupation: str | None,
        now: datetime,
        actor_id: str,
    ) -> Volunteer:
        volunteer = cls(
            id=uuid.uuid4(),
            full_name_th=full_name_th,
            full_name_en=full_name_en,
            national_id=national_id,
            date_of_birth=date_of_birth,
            phone=phone,
            email=email,
            province_code=province_code,
            district=district,
            occupation=occupation,
            status=VolunteerStatus.APPLIED,
            applied_at=now,
            created_at=now,
            updated_at=now,
        )
        volunteer.history.append(
            StatusChange(uuid.uuid4(), None, VolunteerStatus.APPLIED, None, actor_id, now)
        )
        return volunteer

    # -- derived -------------------------------------------------------------------------

    @property
    def national_id_last4(self) -> str | None:
        return None if self.national_id is None else self.national_id[-4:]

    @property
    def national_id_masked(self) -> str | None:
        return mask_national_id(self.national_id_last4)

    @property
    def trained(self) -> bool:
        return bool(self.trainings)

    @property
    def trainings_count(self) -> int:
        return len(self.trainings)

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    # -- changes -------------------------------------------------------------------------

    def touch(self, now: datetime) -> None:
        self.updated_at = now
        self.version += 1

    def transition(
        self, transition: Transition, *, reason: str, actor_id: str, now: datetime
    ) -> StatusChange:
        target = VOLUNTEER_WORKFLOW.target(transition, self.status)  # 409 when not allowed
        text = clean_text(reason, field="reason", max_length=1000, required=True)
        change = StatusChange(uuid.uuid4(), self.status, target, text, actor_id, now)
        self.status = target
        if transition is Transition.APPROVE:
            self.approved_at = now
            self.approved_by = uuid.UUID(actor_id)
        self.history.append(change)
        self.touch(now)
        return change

    def record_training(self, training: Training, *, now: datetime) -> None:
        if self.status not in (VolunteerStatus.APPLIED, VolunteerStatus.ACTIVE):
            raise VolunteerNotActive("record a training for", self.status)
        self.trainings.append(training)
        self.touch(now)

    def pledge(self, *, on: date, now: datetime) -> None:
        """The public pledge (ประกาศเจตนารมณ์) that ends the training day; recorded once."""
        if self.status is not VolunteerStatus.ACTIVE:
            raise VolunteerNotActive("record the pledge of", self.status)
        if self.pledged_on is not None:
            raise Conflict("This volunteer's pledge is already recorded.")
        self.pledged_on = on
        self.touch(now)

    def erase(self, *, now: datetime) -> None:
        """Irreversibly anonymise personal data (PDPA erasure); counts and history stay.

        Not a status transition: the status (retired or rejected) stays, the version moves.
        """
        if self.status not in (VolunteerStatus.RETIRED, VolunteerStatus.REJECTED):
            raise Conflict(
                "Personal data can be erased only for a retired volunteer or a rejected "
                "application: retire the volunteer first."
            )
        self.full_name_th = ERASED_NAME
        self.full_name_en = None
        self.national_id = None  # frees the ID: the person may apply again one day
        self.date_of_birth = None
        self.phone = None
        self.email = None
        self.district = None
        self.occupation = None
        for change in self.history:
            change.reason = None  # free text written about the person
        for training in self.trainings:
            training.certificate_number = None
        self.erased_at = now
        self.touch(now)
