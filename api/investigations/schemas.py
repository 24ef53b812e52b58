"""Investigations: request and response schemas, their examples, and the converters.

Responses validate from domain objects (`from_attributes`); a converter names only what
differs from the entity (the overdue flag at a moment, the linked tips' summaries, a
timeline entry's account). Requests become domain commands in one step.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field

from api.pagination import PagePublic
from api.schemas import ApiModel
from domain.investigations.model import (
    EVIDENCE_FIELD_MAX,
    FINDINGS_MAX,
    MAX_TIPS,
    NOTE_MAX,
    REASON_MAX,
    TITLE_MAX,
    AssignmentRole,
    Evidence,
    InvestigationOutcome,
    InvestigationStatus,
    InvestigationSummary,
    Priority,
    TimelineEntry,
    TimelineKind,
)
from domain.investigations.ports import ReferralSummary
from domain.investigations.referrals import NOTE_MAX as REFERRAL_NOTE_MAX
from domain.investigations.referrals import SUMMARY_MAX, UPDATE_STATUSES, ReferralStatus
from domain.investigations.use_cases import (
    InvestigationChanges,
    InvestigationOpening,
    InvestigationRecord,
    ReferralRecord,
)
from domain.tips.model import TipStatus
from domain.tips.use_cases import MESSAGE_MAX

_ID = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
_TIP_ID = "0b7e6c1a-3f4d-4c2b-9a8e-5d6f7a8b9c0d"
_OTHER_TIP_ID = "5c2d8e4f-1a3b-4c5d-8e9f-0a1b2c3d4e5f"
_OFFICER_ID = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
_INVESTIGATOR_ID = "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"
_TITLE = "เรียกรับเงินค่าใบอนุญาตทำงาน สำนักงานจัดหางานจังหวัดขอนแก่นและกรุงเทพฯ"

_TIPS_EXAMPLE: list[dict[str, Any]] = [
    {"id": _TIP_ID, "reference": "TIP-2569-000123", "province_code": "40", "status": "closed"},
    {
        "id": _OTHER_TIP_ID,
        "reference": "TIP-2569-000124",
        "province_code": "10",
        "status": "closed",
    },
]
_ASSIGNMENT_EXAMPLE: dict[str, Any] = {
    "account_id": _INVESTIGATOR_ID,
    "role": "lead",
    "assigned_at": "2026-12-01T03:10:00Z",
    "assigned_by": _OFFICER_ID,
}
_INVESTIGATION_EXAMPLE: dict[str, Any] = {
    "id": _ID,
    "reference": "INV-2569-000042",
    "title": _TITLE,
    "status": "concluded",
    "outcome": "referred",
    "priority": "high",
    "lead_province_code": "40",
    "due_on": "2027-02-28",
    "overdue": False,
    "findings": "พบหลักฐานการโอนเงินเข้าบัญชีเจ้าหน้าที่ ส่งเรื่องให้ ป.ป.ท.",
    "lead_investigator_id": _INVESTIGATOR_ID,
    "assignments": [_ASSIGNMENT_EXAMPLE],
    "tips": _TIPS_EXAMPLE,
    "created_at": "2026-12-01T03:00:00Z",
    "created_by": _OFFICER_ID,
    "updated_at": "2027-01-20T08:00:00Z",
    "concluded_at": "2027-01-20T08:00:00Z",
    "damage_estimated_thb": "25000.00",
    "amount_recovered_thb": None,
    "version": 5,
}
_SUMMARY_EXAMPLE: dict[str, Any] = {
    **{
        name: _INVESTIGATION_EXAMPLE[name]
        for name in (
            "id",
            "reference",
            "status",
            "outcome",
            "priority",
            "lead_province_code",
            "due_on",
            "overdue",
            "lead_investigator_id",
            "created_at",
            "updated_at",
        )
    },
    "tips_count": 2,
}
_EVIDENCE_EXAMPLE: dict[str, Any] = {
    "item": "สำเนารายการเดินบัญชีธนาคาร 3 แผ่น",
    "source": "ผู้แจ้งเรื่อง (ส่งทางไปรษณีย์)",
    "location": "ตู้เอกสารนิรภัย ศูนย์ปฏิบัติการต่อต้านการทุจริต ชั้น 3",
    "custodian": "นางสาวสุดา รักษ์ดี เจ้าหน้าที่สืบสวน",
    "obtained_at": "2026-12-05T02:30:00Z",
}
_NOTE_ENTRY: dict[str, Any] = {
    "id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
    "at": "2026-12-03T04:00:00Z",
    "kind": "note",
    "actor_id": _INVESTIGATOR_ID,
    "actor_role": "investigator",
    "from_status": None,
    "to_status": None,
    "outcome": None,
    "account_id": None,
    "assignment_role": None,
    "text": "สัมภาษณ์ผู้ร้องรายที่ 2 แล้ว ให้ข้อมูลสอดคล้องกัน",
    "evidence": None,
    "fields": [],
    "referral_id": None,
    "agency_code": None,
    "referral_status": None,
}
_CONCLUDED_ENTRY: dict[str, Any] = {
    **_NOTE_ENTRY,
    "id": "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e",
    "at": "2027-01-20T08:00:00Z",
    "kind": "status_changed",
    "from_status": "in_progress",
    "to_status": "concluded",
    "outcome": "referred",
    "text": "อยู่ในอำนาจของ ป.ป.ท.",
    "fields": ["findings"],
}


class _Public(ApiModel):
    """Base of the responses: validated from domain objects' attributes."""

    model_config = ConfigDict(from_attributes=True)


# -- requests ----------------------------------------------------------------------------


class InvestigationCreate(ApiModel):
    """Open an investigation on tips (each one in review, and one the caller may triage)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": _TITLE,
                    "tip_ids": [_TIP_ID, _OTHER_TIP_ID],
                    "lead_province_code": "40",
                    "priority": "high",
                    "due_on": "2027-02-28",
                }
            ]
        }
    )

    title: str = Field(min_length=1, max_length=TITLE_MAX, description="Confidential")
    tip_ids: list[UUID] = Field(
        min_length=1,
        max_length=MAX_TIPS,
        description="The tips the investigation is opened on (any provinces)",
    )
    lead_province_code: str | None = Field(
        default=None,
        max_length=8,
        description="Defaults to the first tip's province; a provincial office leads its own",
        examples=["40"],
    )
    priority: Priority = Priority.NORMAL
    due_on: date | None = Field(default=None, description="The date it should be concluded by")

    def opening(self) -> InvestigationOpening:
        return InvestigationOpening(**self.model_dump())


class InvestigationUpdate(ApiModel):
    """Fields to change; omitted fields stay, null clears `due_on` or `findings`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"priority": "critical", "due_on": "2027-01-31"}, {"findings": None}]
        }
    )

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    priority: Priority | None = None
    due_on: date | None = None
    findings: str | None = Field(default=None, max_length=FINDINGS_MAX)

    def changes(self) -> InvestigationChanges:
        """The fields sent (an omitted field stays; null clears an optional one)."""
        sent = self.model_dump(exclude_unset=True)
        return InvestigationChanges(fields=frozenset(sent), **sent)


class InvestigationTransition(ApiModel):
    """Why the status changes (kept on the timeline, never in the audit log)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "มอบหมายผู้สืบสวนแล้ว เริ่มรวบรวมพยานหลักฐาน"}]}
    )

    reason: str = Field(min_length=1, max_length=REASON_MAX)


class InvestigationConclude(ApiModel):
    """The outcome, why, the findings, and optionally what the reporters are told."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome": "referred",
                    "reason": "อยู่ในอำนาจของ ป.ป.ท.",
                    "findings": "พบหลักฐานการโอนเงินเข้าบัญชีเจ้าหน้าที่ ส่งเรื่องให้ ป.ป.ท.",
                    "message": "เรื่องที่ท่านแจ้งได้ส่งต่อให้ ป.ป.ท. ดำเนินการแล้ว ขอบคุณที่แจ้งเบาะแส",
                }
            ]
        }
    )

    outcome: InvestigationOutcome
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="Kept on the timeline")
    findings: str | None = Field(
        default=None, max_length=FINDINGS_MAX, description="Replaces the findings summary"
    )
    message: str | None = Field(
        default=None,
        max_length=MESSAGE_MAX,
        description="Posted to every linked tip's reporter; without it, the outcome's "
        "standard text (Thai and English). Name no one: reporters read it",
    )
    damage_estimated_thb: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=14,
        decimal_places=2,
        description="The damage estimated, in baht, where known (annual statistics)",
    )
    amount_recovered_thb: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=14,
        decimal_places=2,
        description="The amount recovered, in baht, where known (annual statistics)",
    )


class InvestigationAssignmentCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"account_id": _INVESTIGATOR_ID, "role": "lead"}]}
    )

    account_id: UUID = Field(
        description="An active investigator, central officer, or provincial officer of the "
        "lead province"
    )
    role: AssignmentRole = Field(
        default=AssignmentRole.MEMBER, description="A new lead makes the previous one a member"
    )


class InvestigationNoteCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"body": _NOTE_ENTRY["text"]}]},
    )

    body: str = Field(min_length=1, max_length=NOTE_MAX, description="Internal; confidential")


class InvestigationEvidenceCreate(ApiModel):
    """A chain-of-custody record (files come later)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EVIDENCE_EXAMPLE]})

    item: str = Field(min_length=1, max_length=EVIDENCE_FIELD_MAX, description="What it is")
    source: str = Field(
        min_length=1, max_length=EVIDENCE_FIELD_MAX, description="Where it came from"
    )
    location: str = Field(
        min_length=1, max_length=EVIDENCE_FIELD_MAX, description="Where it is kept"
    )
    custodian: str = Field(
        min_length=1, max_length=EVIDENCE_FIELD_MAX, description="Who handled it / holds it"
    )
    obtained_at: AwareDatetime | None = Field(default=None, description="When it was obtained")

    def evidence(self) -> Evidence:
        return Evidence(**self.model_dump())


# -- responses ---------------------------------------------------------------------------


class InvestigationTipPublic(_Public):
    """A linked tip: reference, province and status (its content is at /api/v1/tips/{id})."""

    id: UUID
    reference: str
    province_code: str
    status: TipStatus


class InvestigationAssignmentPublic(_Public):
    model_config = ConfigDict(json_schema_extra={"examples": [_ASSIGNMENT_EXAMPLE]})

    account_id: UUID
    role: AssignmentRole
    assigned_at: datetime
    assigned_by: UUID


class InvestigationPublic(_Public):
    """The full record of an investigation (confidential: each GET is audited)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_INVESTIGATION_EXAMPLE]})

    id: UUID
    reference: str = Field(description="INV-<Buddhist Era year>-<sequence>")
    title: str
    status: InvestigationStatus
    outcome: InvestigationOutcome | None
    priority: Priority
    lead_province_code: str
    due_on: date | None
    overdue: bool = Field(description="Past its due date (Bangkok) and not concluded")
    findings: str | None
    lead_investigator_id: UUID | None
    assignments: list[InvestigationAssignmentPublic]
    tips: list[InvestigationTipPublic]
    created_at: datetime
    created_by: UUID
    updated_at: datetime
    concluded_at: datetime | None
    damage_estimated_thb: Decimal | None = Field(description="Recorded at the conclusion")
    amount_recovered_thb: Decimal | None = Field(description="Recorded at the conclusion")
    version: int = Field(description='The ETag is `"v<version>"`')

    @classmethod
    def of(cls, record: InvestigationRecord, now: datetime) -> InvestigationPublic:
        investigation = record.investigation
        return cls.model_validate(
            {
                **{name: getattr(investigation, name) for name in _ENTITY_FIELDS},
                "overdue": investigation.is_overdue(now),
                "lead_investigator_id": investigation.lead_investigator_id,
                "assignments": investigation.assignments,
                "tips": record.tips,
            }
        )


_ENTITY_FIELDS = (
    "damage_estimated_thb",
    "amount_recovered_thb",
    "id",
    "reference",
    "title",
    "status",
    "outcome",
    "priority",
    "lead_province_code",
    "due_on",
    "findings",
    "created_at",
    "created_by",
    "updated_at",
    "concluded_at",
    "version",
)


class InvestigationSummaryPublic(_Public):
    """An investigation in a list: no title, findings or timeline (lists are not audited)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY_EXAMPLE]})

    id: UUID
    reference: str
    status: InvestigationStatus
    outcome: InvestigationOutcome | None
    priority: Priority
    lead_province_code: str
    due_on: date | None
    overdue: bool
    tips_count: int
    lead_investigator_id: UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, summary: InvestigationSummary, now: datetime) -> InvestigationSummaryPublic:
        return cls.model_validate(
            {name: getattr(summary, name) for name in cls.model_fields if name != "overdue"}
            | {"overdue": summary.is_overdue(now)}
        )


class InvestigationSummaryPage(PagePublic[InvestigationSummaryPublic]):
    """A page of investigations, newest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SUMMARY_EXAMPLE], "next_cursor": None}]}
    )


class InvestigationEvidencePublic(_Public):
    model_config = ConfigDict(json_schema_extra={"examples": [_EVIDENCE_EXAMPLE]})

    item: str
    source: str
    location: str
    custodian: str
    obtained_at: datetime | None


class InvestigationTimelineEntryPublic(_Public):
    """One step of the investigation; which fields are set depends on `kind`."""

    model_config = ConfigDict(json_schema_extra={"examples": [_NOTE_ENTRY, _CONCLUDED_ENTRY]})

    id: UUID
    at: datetime
    kind: TimelineKind
    actor_id: UUID = Field(description="Who acted (an official's account)")
    actor_role: str
    from_status: InvestigationStatus | None = Field(description="status_changed")
    to_status: InvestigationStatus | None = Field(description="opened, status_changed")
    outcome: InvestigationOutcome | None = Field(description="status_changed to concluded")
    account_id: UUID | None = Field(description="assigned, unassigned: the account")
    assignment_role: AssignmentRole | None = Field(description="assigned, unassigned")
    text: str | None = Field(
        description="status_changed: the reason; note: its body; referral_updated: the "
        "agency's note"
    )
    evidence: InvestigationEvidencePublic | None = Field(description="evidence")
    fields: list[str] = Field(description="updated (and a conclusion): the fields changed")
    referral_id: UUID | None = Field(description="referred, referral_updated: the referral")
    agency_code: str | None = Field(description="referred, referral_updated: the agency")
    referral_status: ReferralStatus | None = Field(
        description="referred, referral_updated: the referral's status after the step"
    )

    @classmethod
    def of(cls, entry: TimelineEntry) -> InvestigationTimelineEntryPublic:
        referral = entry.kind in (TimelineKind.REFERRED, TimelineKind.REFERRAL_UPDATED)
        computed = {
            "account_id": None if referral else entry.subject_id,
            "referral_id": entry.subject_id if referral else None,
            "fields": list(entry.fields),
        }
        document = {name: getattr(entry, name) for name in cls.model_fields if name not in computed}
        return cls.model_validate(document | computed)


class InvestigationTimelinePage(PagePublic[InvestigationTimelineEntryPublic]):
    """A page of an investigation's timeline, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [_NOTE_ENTRY, _CONCLUDED_ENTRY], "next_cursor": None}]
        }
    )


# -- referrals to partner agencies -------------------------------------------------------

_REFERRAL_ID = "3d4e5f60-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
_REFERRAL_SUMMARY = (
    "เจ้าหน้าที่สำนักงานจัดหางานจังหวัดขอนแก่น 1 ราย ถูกกล่าวหาว่าเรียกรับเงินจากแรงงานข้ามชาติ "
    "เพื่อเร่งออกใบอนุญาตทำงาน ระหว่างเดือนตุลาคม 2569 พยานเอกสาร: รายการเดินบัญชี 3 แผ่น"
)
_REFERRAL_UPDATE: dict[str, Any] = {
    "status": "accepted",
    "note": "รับเรื่องไว้พิจารณา เลขรับ ปปท. 1234/2570",
    "at": "2027-01-25T02:00:00Z",
}
_REFERRAL_EXAMPLE: dict[str, Any] = {
    "id": _REFERRAL_ID,
    "investigation_reference": "INV-2569-000042",
    "agency_code": "PACC",
    "status": "accepted",
    "summary": _REFERRAL_SUMMARY,
    "updates": [
        {"status": "referred", "note": None, "at": "2027-01-21T03:00:00Z"},
        _REFERRAL_UPDATE,
    ],
    "created_at": "2027-01-21T03:00:00Z",
    "updated_at": "2027-01-25T02:00:00Z",
}
_REFERRAL_SUMMARY_EXAMPLE: dict[str, Any] = {
    name: _REFERRAL_EXAMPLE[name]
    for name in (
        "id",
        "investigation_reference",
        "agency_code",
        "status",
        "created_at",
        "updated_at",
    )
}


class InvestigationReferralCreate(ApiModel):
    """Refer an investigation concluded as `referred` to a partner agency."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"agency_code": "PACC", "summary": _REFERRAL_SUMMARY}]}
    )

    agency_code: str = Field(max_length=16, description="An active agency of /api/v1/agencies")
    summary: str = Field(
        min_length=1,
        max_length=SUMMARY_MAX,
        description="Written for the agency: what happened and what evidence exists. Never "
        "paste the tips or anything that identifies their reporters",
    )


class ReferralUpdatePublic(_Public):
    """One step of a referral: its status after it, and the agency's note."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REFERRAL_UPDATE]})

    status: ReferralStatus
    note: str | None
    at: datetime


class ReferralPublic(_Public):
    """A referral as the agency sees it: the summary, never the tips or the reporters."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REFERRAL_EXAMPLE]})

    id: UUID
    investigation_reference: str = Field(description="Quote it in correspondence")
    agency_code: str
    status: ReferralStatus
    summary: str
    updates: list[ReferralUpdatePublic] = Field(description="Oldest first")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: ReferralRecord) -> ReferralPublic:
        referral = record.referral
        updates = [
            {"status": entry.referral_status, "note": entry.text, "at": entry.at}
            for entry in record.updates
        ]
        names = ("id", "investigation_reference", "agency_code", "status", "summary")
        return cls.model_validate(
            {name: getattr(referral, name) for name in names}
            | {
                "updates": updates,
                "created_at": referral.created_at,
                "updated_at": referral.updated_at,
            }
        )


class ReferralSummaryPublic(_Public):
    """A referral in a list: no summary (reading one is audited)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REFERRAL_SUMMARY_EXAMPLE]})

    id: UUID
    investigation_reference: str
    agency_code: str
    status: ReferralStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, summary: ReferralSummary) -> ReferralSummaryPublic:
        return cls.model_validate(summary)


class ReferralSummaryPage(PagePublic[ReferralSummaryPublic]):
    """A page of referrals, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [_REFERRAL_SUMMARY_EXAMPLE], "next_cursor": None}]
        }
    )


class ReferralUpdateCreate(ApiModel):
    """The agency's status update, with a note for the investigators."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "accepted", "note": _REFERRAL_UPDATE["note"]}]}
    )

    status: ReferralStatus = Field(
        description="One of " + ", ".join(f"`{status}`" for status in UPDATE_STATUSES)
    )
    note: str | None = Field(default=None, max_length=REFERRAL_NOTE_MAX)
