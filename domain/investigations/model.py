"""Investigations: the case entity, its workflow (a domain/workflow.py table), its timeline.

Workflow::

    open --start--> in_progress --hold--> on_hold --resume--> in_progress
    in_progress | on_hold --conclude (with an outcome)--> concluded
    concluded --reopen (central officers)--> in_progress

Every move takes a reason and leaves a timeline entry (who, when, from, to, why); any
other move is an InvalidTransition (409). Notes, evidence (a chain-of-custody record),
assignments and status changes are one timeline, in the order they happened. Title,
findings, reasons, notes and evidence may name people: plaintext here, sealed at rest.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.audit.model import AuditAction
from domain.errors import Conflict, InvalidInput
from domain.investigations.errors import InvestigationConcluded
from domain.policy import Action, Principal, Role
from domain.tips.deadlines import BANGKOK
from domain.tips.model import TipOutcome
from domain.workflow import Move, Workflow

TITLE_MAX = 300
FINDINGS_MAX = 10_000
REASON_MAX = 2_000
NOTE_MAX = 10_000
EVIDENCE_FIELD_MAX = 1_000
#: Tips linked when an investigation is opened (one or more, from any province).
MAX_TIPS = 50


class InvestigationStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    CONCLUDED = "concluded"


class InvestigationOutcome(StrEnum):
    SUBSTANTIATED = "substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    REFERRED = "referred"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class Transition(StrEnum):
    """The names of the status moves; each is also its URL (`POST .../{id}/<name>`)."""

    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    CONCLUDE = "conclude"
    REOPEN = "reopen"


class AssignmentRole(StrEnum):
    LEAD = "lead"  # at most one: the lead investigator
    MEMBER = "member"


class TimelineKind(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    NOTE = "note"
    EVIDENCE = "evidence"
    REFERRED = "referred"  # to a partner agency (domain/investigations/referrals.py)
    REFERRAL_UPDATED = "referral_updated"  # the agency's status update


#: Who may be assigned to an investigation (investigators, or officers).
ASSIGNABLE_ROLES = frozenset({Role.INVESTIGATOR, Role.CENTRAL_OFFICER, Role.PROVINCIAL_OFFICER})

#: The outcome each linked tip is closed with when the investigation concludes.
TIP_OUTCOMES: dict[InvestigationOutcome, TipOutcome] = {
    InvestigationOutcome.SUBSTANTIATED: TipOutcome.SUBSTANTIATED,
    InvestigationOutcome.UNSUBSTANTIATED: TipOutcome.UNSUBSTANTIATED,
    InvestigationOutcome.REFERRED: TipOutcome.REFERRED,
    InvestigationOutcome.INSUFFICIENT_EVIDENCE: TipOutcome.INSUFFICIENT_INFORMATION,
}

#: What each reporter is told when the investigation concludes and no message is given:
#: the outcome only, never names or internal content.
REPORTER_MESSAGES: dict[InvestigationOutcome, str] = {
    InvestigationOutcome.SUBSTANTIATED: (
        "การตรวจสอบเรื่องที่ท่านแจ้งเสร็จสิ้นแล้ว: พบมูลตามที่แจ้ง และจะดำเนินการตามระเบียบต่อไป "
        "/ The investigation of your report has concluded: the report was substantiated."
    ),
    InvestigationOutcome.UNSUBSTANTIATED: (
        "การตรวจสอบเรื่องที่ท่านแจ้งเสร็จสิ้นแล้ว: ไม่พบมูลตามที่แจ้ง "
        "/ The investigation of your report has concluded: the report was not substantiated."
    ),
    InvestigationOutcome.REFERRED: (
        "การตรวจสอบเรื่องที่ท่านแจ้งเสร็จสิ้นแล้ว: ส่งเรื่องต่อให้หน่วยงานที่มีอำนาจดำเนินการ "
        "/ The investigation of your report has concluded: it was referred to the competent agency."
    ),
    InvestigationOutcome.INSUFFICIENT_EVIDENCE: (
        "การตรวจสอบเรื่องที่ท่านแจ้งเสร็จสิ้นแล้ว: พยานหลักฐานไม่เพียงพอ "
        "/ The investigation of your report has concluded: the evidence was insufficient."
    ),
}

_WORKING = frozenset({InvestigationStatus.IN_PROGRESS, InvestigationStatus.ON_HOLD})

#: Every status move: from which statuses, to which status, under which policy action,
#: recorded as which audit action. Any other move is an InvalidTransition (409).
INVESTIGATION_WORKFLOW: Workflow[InvestigationStatus] = Workflow(
    "investigation",
    [
        Move(
            Transition.START,
            frozenset({InvestigationStatus.OPEN}),
            InvestigationStatus.IN_PROGRESS,
            Action.INVESTIGATION_START,
            AuditAction.INVESTIGATION_STARTED,
            "Start working an open investigation",
        ),
        Move(
            Transition.HOLD,
            frozenset({InvestigationStatus.IN_PROGRESS}),
            InvestigationStatus.ON_HOLD,
            Action.INVESTIGATION_HOLD,
            AuditAction.INVESTIGATION_HELD,
            "Put an investigation on hold",
        ),
        Move(
            Transition.RESUME,
            frozenset({InvestigationStatus.ON_HOLD}),
            InvestigationStatus.IN_PROGRESS,
            Action.INVESTIGATION_RESUME,
            AuditAction.INVESTIGATION_RESUMED,
            "Resume an investigation on hold",
        ),
        Move(
            Transition.CONCLUDE,
            _WORKING,
            InvestigationStatus.CONCLUDED,
            Action.INVESTIGATION_CONCLUDE,
            AuditAction.INVESTIGATION_CONCLUDED,
            "Conclude an investigation with an outcome",
        ),
        Move(
            Transition.REOPEN,
            frozenset({InvestigationStatus.CONCLUDED}),
            InvestigationStatus.IN_PROGRESS,
            Action.INVESTIGATION_REOPEN,
            AuditAction.INVESTIGATION_REOPENED,
            "Reopen a concluded investigation (central officers)",
        ),
    ],
)


def format_reference(year_be: int, seq: int) -> str:
    """`INV-2569-000042`: Buddhist Era year of opening, gap-free sequence within the year."""
    return f"INV-{year_be}-{seq:06d}"


def clean_text(value: str | None, *, what: str, max_length: int, required: bool = False) -> str:
    """Stripped text within bounds; '' only when optional and nothing was given."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"The {what} cannot be empty.")
    if len(text) > max_length:
        raise InvalidInput(f"The {what} may have at most {max_length} characters.")
    return text


@dataclass(frozen=True, slots=True)
class Evidence:
    """One chain-of-custody record: what, where it came from, where it is kept, who
    handled it, and when it was obtained (files come later)."""

    item: str
    source: str
    location: str
    custodian: str
    obtained_at: datetime | None = None

    def checked(self) -> Evidence:
        def text(value: str, what: str) -> str:
            return clean_text(value, what=what, max_length=EVIDENCE_FIELD_MAX, required=True)

        return Evidence(
            item=text(self.item, "evidence item"),
            source=text(self.source, "evidence source"),
            location=text(self.location, "evidence location"),
            custodian=text(self.custodian, "evidence custodian"),
            obtained_at=self.obtained_at,
        )


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One step of an investigation, as its timeline shows it. Which fields are set
    depends on the kind: statuses for status changes, the account for assignments, the
    text (a reason, a note, an agency's note), the evidence record, the agency and the
    referral's status for referrals."""

    id: UUID
    investigation_id: UUID
    at: datetime
    kind: TimelineKind
    actor_id: UUID
    actor_role: str
    from_status: InvestigationStatus | None = None
    to_status: InvestigationStatus | None = None
    outcome: InvestigationOutcome | None = None
    #: The account assigned or unassigned; the referral referred or updated.
    subject_id: UUID | None = None
    assignment_role: AssignmentRole | None = None
    #: A reason (status changes) or the note's body; confidential.
    text: str | None = None
    evidence: Evidence | None = None
    #: The fields an update changed (names only).
    fields: tuple[str, ...] = ()
    #: Referrals: the agency, and the referral's status after the step.
    agency_code: str | None = None
    referral_status: str | None = None
    #: Position in the timeline; None until stored.
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    account_id: UUID
    role: AssignmentRole
    assigned_at: datetime
    assigned_by: UUID


@dataclass(frozen=True, slots=True)
class InvestigationTip:
    """A tip linked to the investigation."""

    tip_id: UUID
    linked_at: datetime


@dataclass(slots=True)
class Investigation:
    id: UUID
    reference: str
    title: str
    lead_province_code: str
    priority: Priority
    status: InvestigationStatus
    created_at: datetime
    created_by: UUID
    updated_at: datetime
    due_on: date | None = None
    outcome: InvestigationOutcome | None = None
    findings: str | None = None
    concluded_at: datetime | None = None
    #: Recorded at the conclusion where known (the annual report's Art. 27 figures).
    damage_estimated_thb: Decimal | None = None
    amount_recovered_thb: Decimal | None = None
    version: int = 1
    tips: list[InvestigationTip] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    #: Provinces whose labour office a linked tip accuses: their officials never see it.
    recused_province_codes: frozenset[str] = frozenset()
    #: Timeline entries produced since the investigation was loaded (saved by `save`).
    new_entries: list[TimelineEntry] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        *,
        investigation_id: UUID,
        reference: str,
        title: str,
        lead_province_code: str,
        tip_ids: list[UUID],
        recused_province_codes: frozenset[str],
        priority: Priority,
        due_on: date | None,
        actor: Principal,
        at: datetime,
    ) -> Investigation:
        if not 1 <= len(set(tip_ids)) <= MAX_TIPS:
            raise InvalidInput(f"An investigation links 1 to {MAX_TIPS} tips.")
        investigation = cls(
            id=investigation_id,
            reference=reference,
            title=clean_text(title, what="title", max_length=TITLE_MAX, required=True),
            lead_province_code=lead_province_code,
            priority=priority,
            status=InvestigationStatus.OPEN,
            created_at=at,
            created_by=actor.account_id,
            updated_at=at,
            due_on=due_on,
            tips=[InvestigationTip(tip_id, at) for tip_id in dict.fromkeys(tip_ids)],
            recused_province_codes=recused_province_codes,
        )
        investigation._entry(
            TimelineKind.OPENED, actor, at, to_status=InvestigationStatus.OPEN, bump=False
        )
        return investigation

    # -- derived -------------------------------------------------------------------------

    @property
    def tip_ids(self) -> list[UUID]:
        return [tip.tip_id for tip in self.tips]

    @property
    def assignee_ids(self) -> frozenset[UUID]:
        return frozenset(a.account_id for a in self.assignments)

    @property
    def lead_investigator_id(self) -> UUID | None:
        return next((a.account_id for a in self.assignments if a.role is AssignmentRole.LEAD), None)

    @property
    def is_open(self) -> bool:
        """Not concluded: its tips belong to it (a tip is in at most one open case)."""
        return self.status is not InvestigationStatus.CONCLUDED

    def is_overdue(self, now: datetime) -> bool:
        """Past its due date (Bangkok calendar) and not concluded."""
        return (
            self.due_on is not None
            and self.is_open
            and self.due_on < now.astimezone(BANGKOK).date()
        )

    # -- changes -------------------------------------------------------------------------

    def _entry(
        self,
        kind: TimelineKind,
        actor: Principal,
        at: datetime,
        *,
        bump: bool = True,
        from_status: InvestigationStatus | None = None,
        to_status: InvestigationStatus | None = None,
        outcome: InvestigationOutcome | None = None,
        subject_id: UUID | None = None,
        assignment_role: AssignmentRole | None = None,
        text: str | None = None,
        evidence: Evidence | None = None,
        fields: tuple[str, ...] = (),
    ) -> TimelineEntry:
        """Record a step on the timeline; `bump`: the record itself changed (version)."""
        entry = TimelineEntry(
            id=uuid.uuid4(),
            investigation_id=self.id,
            at=at,
            kind=kind,
            actor_id=actor.account_id,
            actor_role=actor.role_name,
            from_status=from_status,
            to_status=to_status,
            outcome=outcome,
            subject_id=subject_id,
            assignment_role=assignment_role,
            text=text,
            evidence=evidence,
            fields=fields,
        )
        self.new_entries.append(entry)
        if bump:
            self.updated_at = at
            self.version += 1
        return entry

    def move(
        self,
        transition: Transition,
        *,
        actor: Principal,
        at: datetime,
        reason: str,
        outcome: InvestigationOutcome | None = None,
        findings: str | None = None,
        damage_estimated_thb: Decimal | None = None,
        amount_recovered_thb: Decimal | None = None,
    ) -> TimelineEntry:
        """Apply a move of INVESTIGATION_WORKFLOW (InvalidTransition from another status).
        Concluding takes the outcome, and may set the findings and the amounts (damage
        estimated, amount recovered, in baht, not negative) in the same step; reopening
        clears the outcome and the amounts."""
        target = INVESTIGATION_WORKFLOW.target(transition, self.status)
        text = clean_text(reason, what="reason", max_length=REASON_MAX, required=True)
        concluding = transition is Transition.CONCLUDE
        if concluding != (outcome is not None) or (findings is not None and not concluding):
            raise InvalidInput("Concluding, and only concluding, takes an outcome and findings.")
        amounts = (damage_estimated_thb, amount_recovered_thb)
        if not concluding and any(a is not None for a in amounts):
            raise InvalidInput("Only concluding records the amounts.")
        if any(a is not None and (not a.is_finite() or a < 0) for a in amounts):
            raise InvalidInput("Amounts are baht, zero or more.")
        changed: tuple[str, ...] = ()
        if findings is not None:
            self.findings = clean_text(findings, what="findings", max_length=FINDINGS_MAX) or None
            changed = ("findings",)
        before = self.status
        self.status = target
        if concluding:
            self.outcome, self.concluded_at = outcome, at
            self.damage_estimated_thb, self.amount_recovered_thb = amounts
        elif transition is Transition.REOPEN:
            self.outcome, self.concluded_at = None, None
            self.damage_estimated_thb = self.amount_recovered_thb = None
        return self._entry(
            TimelineKind.STATUS_CHANGED,
            actor,
            at,
            from_status=before,
            to_status=target,
            outcome=outcome,
            text=text,
            fields=changed,
        )

    def update(
        self,
        *,
        actor: Principal,
        at: datetime,
        title: str | None = None,
        priority: Priority | None = None,
        due_on: date | None = None,
        findings: str | None = None,
        fields: frozenset[str],
    ) -> list[str]:
        """Change the fields named in `fields` (None clears due_on and findings); returns
        the names of those whose value actually changed."""
        if not self.is_open:
            raise InvestigationConcluded()
        new: dict[str, object] = {}
        if "title" in fields:
            new["title"] = clean_text(title, what="title", max_length=TITLE_MAX, required=True)
        if "priority" in fields:
            if priority is None:
                raise InvalidInput("'priority' cannot be null.")
            new["priority"] = priority
        if "due_on" in fields:
            new["due_on"] = due_on
        if "findings" in fields:
            new["findings"] = clean_text(findings, what="findings", max_length=FINDINGS_MAX) or None
        changed = [name for name, value in new.items() if getattr(self, name) != value]
        for name in changed:
            setattr(self, name, new[name])
        if changed:
            self._entry(TimelineKind.UPDATED, actor, at, fields=tuple(changed))
        return changed

    def assign(
        self, account_id: UUID, role: AssignmentRole, *, actor: Principal, at: datetime
    ) -> TimelineEntry:
        """Assign an account (or change its role); a new lead makes the old one a member."""
        current = next((a for a in self.assignments if a.account_id == account_id), None)
        if current is not None and current.role is role:
            raise Conflict("This account is already assigned to the investigation in that role.")
        kept: list[Assignment] = []
        for assignment in self.assignments:
            if assignment.account_id == account_id:
                continue
            if role is AssignmentRole.LEAD and assignment.role is AssignmentRole.LEAD:
                assignment = Assignment(
                    assignment.account_id,
                    AssignmentRole.MEMBER,
                    assignment.assigned_at,
                    assignment.assigned_by,
                )
            kept.append(assignment)
        kept.append(Assignment(account_id, role, at, actor.account_id))
        self.assignments = kept
        return self._entry(
            TimelineKind.ASSIGNED, actor, at, subject_id=account_id, assignment_role=role
        )

    def unassign(self, account_id: UUID, *, actor: Principal, at: datetime) -> TimelineEntry:
        current = next((a for a in self.assignments if a.account_id == account_id), None)
        if current is None:
            raise InvalidInput("This account is not assigned to the investigation.")
        self.assignments = [a for a in self.assignments if a.account_id != account_id]
        return self._entry(
            TimelineKind.UNASSIGNED,
            actor,
            at,
            subject_id=account_id,
            assignment_role=current.role,
        )

    def add_note(self, body: str, *, actor: Principal, at: datetime) -> TimelineEntry:
        """An internal note: on the timeline only (the record's version does not move)."""
        text = clean_text(body, what="note", max_length=NOTE_MAX, required=True)
        return self._entry(TimelineKind.NOTE, actor, at, text=text, bump=False)

    def add_evidence(self, evidence: Evidence, *, actor: Principal, at: datetime) -> TimelineEntry:
        """A chain-of-custody entry: on the timeline only (the version does not move)."""
        return self._entry(
            TimelineKind.EVIDENCE, actor, at, evidence=evidence.checked(), bump=False
        )


@dataclass(frozen=True, slots=True)
class InvestigationSummary:
    """What lists show: no title, findings or timeline."""

    id: UUID
    reference: str
    lead_province_code: str
    priority: Priority
    status: InvestigationStatus
    outcome: InvestigationOutcome | None
    due_on: date | None
    created_at: datetime
    updated_at: datetime
    tips_count: int
    lead_investigator_id: UUID | None

    def is_overdue(self, now: datetime) -> bool:
        return (
            self.due_on is not None
            and self.status is not InvestigationStatus.CONCLUDED
            and self.due_on < now.astimezone(BANGKOK).date()
        )
