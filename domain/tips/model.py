"""Tips: the entity, its state machine and the value objects around it.

A tip moves received -> acknowledged -> in_review -> closed. From in_review it may also
move to investigating (an investigation was opened on it; the investigations feature
drives that transition, there is no tip endpoint for it), and an investigating tip is
closed when its investigation concludes. Closing needs an outcome and a reason. Every
transition leaves a `TipEvent` (who, when, from, to, reason) in the tip's history.
The moves are one table, `TIP_WORKFLOW` (domain/workflow.py). Tips are never deleted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.audit.model import AuditAction
from domain.contact import normalize_any_phone, normalize_email
from domain.errors import InvalidInput
from domain.policy import Action, Principal
from domain.tips.deadlines import DeadlineRules, DeadlineStatus, ack_status, feedback_status
from domain.workflow import Move, Workflow

DESCRIPTION_MIN = 20
DESCRIPTION_MAX = 10_000


class TipStatus(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_REVIEW = "in_review"
    INVESTIGATING = "investigating"
    CLOSED = "closed"


class TipCategory(StrEnum):
    """Kinds of suspected corruption in the labour sector."""

    BRIBERY = "bribery"
    EXTORTION = "extortion"
    EMBEZZLEMENT = "embezzlement"
    PROCUREMENT_FRAUD = "procurement_fraud"
    ABUSE_OF_AUTHORITY = "abuse_of_authority"
    ILLEGAL_RECRUITMENT_FEES = "illegal_recruitment_fees"  # or brokerage fees
    FUND_FRAUD = "fund_fraud"  # Social Security Fund or Skill Development Fund
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    OTHER = "other"


class TipChannel(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    HOTLINE = "hotline"
    WALK_IN = "walk_in"


#: Channels only officials may use, recording a tip on a reporter's behalf.
RECORDED_CHANNELS = frozenset({TipChannel.HOTLINE, TipChannel.WALK_IN})


class TipOutcome(StrEnum):
    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    REFERRED = "referred"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    DUPLICATE = "duplicate"
    OUT_OF_SCOPE = "out_of_scope"


class LinkKind(StrEnum):
    DUPLICATE_OF = "duplicate_of"
    RELATED = "related"


class MessageAuthor(StrEnum):
    REPORTER = "reporter"
    OFFICIAL = "official"


#: The state machine: each named move, from which statuses to which, under which policy
#: action, audited as which action. What a move does besides the status (deadlines, the
#: outcome) is in the entity's method of the same move.
TIP_WORKFLOW: Workflow[TipStatus] = Workflow(
    "tip",
    [
        Move(
            "acknowledge",
            frozenset({TipStatus.RECEIVED}),
            TipStatus.ACKNOWLEDGED,
            Action.TIP_TRIAGE,
            AuditAction.TIP_ACKNOWLEDGED,
            "Acknowledge receipt of a tip",
        ),
        Move(
            "review",
            frozenset({TipStatus.ACKNOWLEDGED}),
            TipStatus.IN_REVIEW,
            Action.TIP_TRIAGE,
            AuditAction.TIP_REVIEW_STARTED,
            "Start reviewing a tip",
        ),
        Move(
            "investigate",  # driven by the investigations feature: no tip endpoint
            frozenset({TipStatus.IN_REVIEW}),
            TipStatus.INVESTIGATING,
            Action.TIP_TRIAGE,
            AuditAction.TIP_INVESTIGATION_STARTED,
            "An investigation was opened on the tip",
        ),
        Move(
            "close",
            frozenset({TipStatus.IN_REVIEW, TipStatus.INVESTIGATING}),
            TipStatus.CLOSED,
            Action.TIP_TRIAGE,
            AuditAction.TIP_CLOSED,
            "Close a tip with an outcome",
        ),
    ],
)


@dataclass(frozen=True, slots=True)
class Accused:
    """Who the tip is about. `is_provincial_labour_office` is also true when the accused
    is an official of that office: either way the tip is recused from the province."""

    office: str | None = None
    person_name: str | None = None
    position: str | None = None
    is_provincial_labour_office: bool = False


@dataclass(frozen=True, slots=True)
class Contact:
    """How officials may reach a reporter who is not anonymous (all optional)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None

    def checked(self) -> Contact | None:
        """Validated and normalised; None when nothing was actually given."""
        name = (self.name or "").strip() or None
        phone, email = normalize_any_phone(self.phone), normalize_email(self.email)
        if name is None and phone is None and email is None:
            return None
        return Contact(name=name, phone=phone, email=email)


@dataclass(frozen=True, slots=True)
class TipEvent:
    """One status change, as kept in the tip's history."""

    id: UUID
    tip_id: UUID
    at: datetime
    actor_id: UUID
    actor_role: str
    from_status: TipStatus
    to_status: TipStatus
    outcome: TipOutcome | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TipMessage:
    id: UUID
    tip_id: UUID
    created_at: datetime
    author: MessageAuthor
    body: str
    internal: bool = False
    #: The official who wrote it; None for the reporter (their identity is never stored here).
    author_account_id: UUID | None = None
    author_role: str | None = None


@dataclass(frozen=True, slots=True)
class TipLink:
    tip_id: UUID
    target_id: UUID
    kind: LinkKind
    created_at: datetime
    created_by: UUID


@dataclass(frozen=True, slots=True)
class LinkedTip:
    """A link as shown on a tip's record: the other tip, and which way the link points."""

    tip_id: UUID
    reference: str
    kind: LinkKind
    outgoing: bool


@dataclass(frozen=True, slots=True)
class Incident:
    """When it happened: one date, or a period, or unknown."""

    date: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None

    def check(self) -> None:
        if self.date is not None and (self.period_start is not None or self.period_end is not None):
            raise InvalidInput("Give either incident_date or an incident period, not both.")
        if (
            self.period_start is not None
            and self.period_end is not None
            and self.period_end < self.period_start
        ):
            raise InvalidInput("incident_period_end is before incident_period_start.")


@dataclass(slots=True)
class Tip:
    id: UUID
    reference: str
    province_code: str
    category: TipCategory
    channel: TipChannel
    description: str
    received_at: datetime
    ack_due_at: datetime
    feedback_due_at: datetime
    status: TipStatus = TipStatus.RECEIVED
    accused: Accused | None = None
    incident: Incident = field(default_factory=Incident)
    location: str | None = None
    amount_thb: Decimal | None = None
    contact: Contact | None = None
    #: The volunteer who reported it (None: anonymous or recorded by an official).
    reporter_account_id: UUID | None = None
    #: The official who recorded a hotline or walk-in tip on a reporter's behalf.
    recorded_by: UUID | None = None
    #: The province whose officials must not handle it (it accuses their own office).
    recused_province_code: str | None = None
    outcome: TipOutcome | None = None
    acknowledged_at: datetime | None = None
    first_feedback_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 1
    #: Events produced since the tip was loaded, written by the repository on save.
    new_events: list[TipEvent] = field(default_factory=list)

    @classmethod
    def new(
        cls,
        *,
        reference: str,
        province_code: str,
        category: TipCategory,
        channel: TipChannel,
        description: str,
        received_at: datetime,
        rules: DeadlineRules,
        accused: Accused | None = None,
        incident: Incident | None = None,
        location: str | None = None,
        amount_thb: Decimal | None = None,
        contact: Contact | None = None,
        reporter_account_id: UUID | None = None,
        recorded_by: UUID | None = None,
    ) -> Tip:
        description = description.strip()
        if not DESCRIPTION_MIN <= len(description) <= DESCRIPTION_MAX:
            raise InvalidInput(
                f"The description must be {DESCRIPTION_MIN} to {DESCRIPTION_MAX} characters."
            )
        if amount_thb is not None and amount_thb < 0:
            raise InvalidInput("amount_thb cannot be negative.")
        incident = incident or Incident()
        incident.check()
        ack_due = rules.ack_due(received_at)
        return cls(
            id=uuid.uuid4(),
            reference=reference,
            province_code=province_code,
            category=category,
            channel=channel,
            description=description,
            received_at=received_at,
            ack_due_at=ack_due,
            feedback_due_at=rules.feedback_due(acknowledged_at=None, ack_due_at=ack_due),
            accused=accused,
            incident=incident,
            location=location,
            amount_thb=amount_thb,
            contact=contact,
            reporter_account_id=reporter_account_id,
            recorded_by=recorded_by,
            recused_province_code=(
                province_code
                if accused is not None and accused.is_provincial_labour_office
                else None
            ),
        )

    # -- the state machine ---------------------------------------------------------------

    def _move(
        self,
        move: str,
        *,
        actor: Principal,
        at: datetime,
        reason: str | None,
        outcome: TipOutcome | None = None,
    ) -> TipEvent:
        """Apply a move of TIP_WORKFLOW (InvalidTransition from another status) and record
        it in the history."""
        target = TIP_WORKFLOW.target(move, self.status)
        event = TipEvent(
            id=uuid.uuid4(),
            tip_id=self.id,
            at=at,
            actor_id=actor.account_id,
            actor_role=actor.role_name,
            from_status=self.status,
            to_status=target,
            outcome=outcome,
            reason=reason,
        )
        self.status = target
        self.version += 1
        self.new_events.append(event)
        return event

    def acknowledge(
        self, *, actor: Principal, at: datetime, rules: DeadlineRules, reason: str | None = None
    ) -> TipEvent:
        event = self._move("acknowledge", actor=actor, at=at, reason=reason)
        self.acknowledged_at = at
        self.feedback_due_at = rules.feedback_due(acknowledged_at=at, ack_due_at=self.ack_due_at)
        return event

    def start_review(
        self, *, actor: Principal, at: datetime, reason: str | None = None
    ) -> TipEvent:
        return self._move("review", actor=actor, at=at, reason=reason)

    def start_investigation(
        self, *, actor: Principal, at: datetime, reason: str | None = None
    ) -> TipEvent:
        """in_review -> investigating; for the investigations feature (no tip endpoint)."""
        return self._move("investigate", actor=actor, at=at, reason=reason)

    def close(
        self, *, actor: Principal, at: datetime, outcome: TipOutcome, reason: str
    ) -> TipEvent:
        if not reason.strip():
            raise InvalidInput("Closing a tip needs a reason.")
        event = self._move("close", actor=actor, at=at, reason=reason, outcome=outcome)
        self.outcome = outcome
        self.closed_at = at
        self.note_feedback(at)
        return event

    def note_feedback(self, at: datetime) -> None:
        """The reporter heard from officials (a visible message, or the closure)."""
        if self.first_feedback_at is None:
            self.first_feedback_at = at
            self.version += 1

    def reassign(self, province_code: str) -> str:
        """Move the tip to another province; returns the previous one."""
        if province_code == self.recused_province_code:
            raise InvalidInput(
                "This tip accuses that province's labour office; it cannot be assigned there."
            )
        if province_code == self.province_code:
            raise InvalidInput("The tip is already assigned to that province.")
        previous, self.province_code = self.province_code, province_code
        self.version += 1
        return previous

    # -- deadlines -----------------------------------------------------------------------

    def ack_status(self, now: datetime) -> DeadlineStatus:
        return ack_status(self.ack_due_at, self.acknowledged_at, now)

    def feedback_status(self, now: datetime) -> DeadlineStatus:
        return feedback_status(self.feedback_due_at, self.first_feedback_at, now)


@dataclass(frozen=True, slots=True)
class TipSummary:
    """What lists show: no description, accused or contact."""

    id: UUID
    reference: str
    province_code: str
    category: TipCategory
    status: TipStatus
    channel: TipChannel
    received_at: datetime
    ack_due_at: datetime
    feedback_due_at: datetime
    acknowledged_at: datetime | None
    first_feedback_at: datetime | None

    def ack_status(self, now: datetime) -> DeadlineStatus:
        return ack_status(self.ack_due_at, self.acknowledged_at, now)

    def feedback_status(self, now: datetime) -> DeadlineStatus:
        return feedback_status(self.feedback_due_at, self.first_feedback_at, now)
