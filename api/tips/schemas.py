"""Tips: request and response schemas, their examples, and the converters from the domain.

Responses validate from domain objects (`from_attributes`): a converter names only the
fields that differ from the entity's (deadline statuses at a moment, the incident
flattened, who reported, a link's direction). Requests become domain commands in one step
(`TipCreate.submission()`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, JsonValue, model_validator

from api.pagination import PagePublic
from api.schemas import AmountTHB, ApiModel
from domain.tips.deadlines import DeadlineStatus
from domain.tips.disclosures import REASON_MAX as DISCLOSURE_REASON_MAX
from domain.tips.disclosures import DisclosureStatus
from domain.tips.model import (
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    Accused,
    Contact,
    Incident,
    LinkedTip,
    LinkKind,
    MessageAuthor,
    Tip,
    TipCategory,
    TipChannel,
    TipOutcome,
    TipStatus,
    TipSummary,
)
from domain.tips.use_cases import (
    MESSAGE_LIST_MAX,
    MESSAGE_MAX,
    FollowUp,
    MessageList,
    TipRecord,
    TipSubmission,
)

EXAMPLE_ID = "0b7e6c1a-3f4d-4c2b-9a8e-5d6f7a8b9c0d"
EXAMPLE_OTHER_ID = "5c2d8e4f-1a3b-4c5d-8e9f-0a1b2c3d4e5f"
EXAMPLE_OFFICER_ID = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
EXAMPLE_RECEIPT = "7KQ2-M9XD-4HTR-ZC8P-W3NB"

SUMMARY_EXAMPLE: dict[str, JsonValue] = {
    "id": EXAMPLE_ID,
    "reference": "TIP-2569-000123",
    "province_code": "40",
    "category": "bribery",
    "status": "acknowledged",
    "channel": "mobile",
    "received_at": "2026-11-25T03:00:00Z",
    "ack_due_at": "2026-12-02T03:00:00Z",
    "ack_status": "met",
    "feedback_due_at": "2027-02-26T03:00:00Z",
    "feedback_status": "pending",
}
ACKNOWLEDGED_EXAMPLE: dict[str, JsonValue] = {
    "at": "2026-11-26T02:00:00Z",
    "from_status": "received",
    "to_status": "acknowledged",
    "outcome": None,
}


_DISCLOSED = (
    "Your identity was disclosed to the people handling your report, with the approval of "
    "a custodian (never to whom)"
)


class _Seen:
    """An entity as a response shows it: its own attributes plus `computed` ones, for
    `model_validate` with `from_attributes` (so converters list only what differs)."""

    def __init__(self, entity: object, **computed: object) -> None:
        self._entity = entity
        self.__dict__.update(computed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._entity, name)


def _at(tip: Tip | TipSummary, now: datetime, **computed: object) -> _Seen:
    """A tip seen at `now`: with the statuses of its two deadlines at that moment."""
    return _Seen(
        tip, ack_status=tip.ack_status(now), feedback_status=tip.feedback_status(now), **computed
    )


class _Public(ApiModel):
    """Base of the responses: validated from domain objects' attributes."""

    model_config = ConfigDict(from_attributes=True)


# -- intake ------------------------------------------------------------------------------


class TipAccusedIn(ApiModel):
    office: str | None = Field(default=None, max_length=300, examples=["สำนักงานจัดหางาน"])
    person_name: str | None = Field(default=None, max_length=200)
    position: str | None = Field(default=None, max_length=200)
    is_provincial_labour_office: bool = Field(
        default=False,
        description=(
            "True when the accused is the provincial labour office of the tip's province "
            "or one of its officials: the tip then goes to central officers only."
        ),
    )


class TipContactIn(ApiModel):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32, examples=["0812345678"])
    email: str | None = Field(default=None, max_length=254)


INCIDENT_FIELDS = frozenset({"incident_date", "incident_period_start", "incident_period_end"})


class TipCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "province_code": "40",
                    "category": "bribery",
                    "description": "เจ้าหน้าที่เรียกรับเงินเพื่อออกใบอนุญาตทำงานให้แรงงานต่างด้าว",
                    "accused": {
                        "office": "สำนักงานแรงงานจังหวัดขอนแก่น",
                        "person_name": None,
                        "position": "เจ้าหน้าที่",
                        "is_provincial_labour_office": True,
                    },
                    "incident_period_start": "2026-10-01",
                    "incident_period_end": "2026-10-31",
                    "location": "อำเภอเมืองขอนแก่น",
                    "amount_thb": "5000.00",
                    "channel": "mobile",
                    "contact": None,
                }
            ]
        }
    )

    province_code: str = Field(max_length=8, description='"40" or "TH-40"', examples=["40"])
    category: TipCategory
    description: str = Field(
        min_length=DESCRIPTION_MIN,
        max_length=DESCRIPTION_MAX,
        description=f"What happened, in Thai ({DESCRIPTION_MIN}-{DESCRIPTION_MAX} characters)",
    )
    accused: TipAccusedIn | None = None
    incident_date: date | None = None
    incident_period_start: date | None = None
    incident_period_end: date | None = None
    location: str | None = Field(default=None, max_length=500)
    amount_thb: AmountTHB | None = Field(default=None, description="Estimated amount, in baht")
    channel: TipChannel = Field(
        default=TipChannel.WEB,
        description="hotline and walk_in: recorded by officials on a reporter's behalf",
    )
    contact: TipContactIn | None = Field(
        default=None, description="Only for reporters who want to be contacted"
    )

    @property
    def incident(self) -> Incident:
        return Incident(
            date=self.incident_date,
            period_start=self.incident_period_start,
            period_end=self.incident_period_end,
        )

    @model_validator(mode="after")
    def _incident_is_a_date_or_a_period(self) -> TipCreate:
        self.incident.check()
        return self

    def submission(self) -> TipSubmission:
        """The domain's submission: the same fields, the incident as one value, the
        accused and the contact as the domain's value objects."""
        return TipSubmission(
            **self.model_dump(exclude={"accused", "contact", *INCIDENT_FIELDS}),
            incident=self.incident,
            accused=None if self.accused is None else Accused(**self.accused.model_dump()),
            contact=None if self.contact is None else Contact(**self.contact.model_dump()),
        )


class TipCreated(_Public):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": EXAMPLE_ID,
                    "reference": "TIP-2569-000123",
                    "status": "received",
                    "ack_due_at": "2026-12-02T10:00:00Z",
                    "feedback_due_at": "2027-03-02T10:00:00Z",
                    "receipt": EXAMPLE_RECEIPT,
                }
            ]
        }
    )

    id: UUID
    reference: str = Field(description="TIP-<Buddhist Era year>-<sequence>")
    status: TipStatus
    ack_due_at: datetime
    feedback_due_at: datetime
    receipt: str | None = Field(
        default=None,
        description=(
            "Anonymous follow-up code, shown once (anonymous and recorded tips only): "
            "keep it safe, it cannot be recovered"
        ),
    )


# -- what officials read -----------------------------------------------------------------


class TipSummaryPublic(_Public):
    model_config = ConfigDict(json_schema_extra={"examples": [SUMMARY_EXAMPLE]})

    id: UUID
    reference: str = Field(examples=["TIP-2569-000123"])
    province_code: str = Field(examples=["40"])
    category: TipCategory
    status: TipStatus
    channel: TipChannel
    received_at: datetime
    ack_due_at: datetime
    ack_status: DeadlineStatus
    feedback_due_at: datetime
    feedback_status: DeadlineStatus

    @classmethod
    def of(cls, tip: Tip | TipSummary, now: datetime) -> TipSummaryPublic:
        return cls.model_validate(cls.values(tip, now))

    @staticmethod
    def values(tip: Tip | TipSummary, now: datetime) -> dict[str, Any]:
        """The summary as plain values, for `TipSummaryPage.render` (lists: no model per item)."""
        return {
            "id": str(tip.id),
            "reference": tip.reference,
            "province_code": tip.province_code,
            "category": tip.category.value,
            "status": tip.status.value,
            "channel": tip.channel.value,
            "received_at": tip.received_at,
            "ack_due_at": tip.ack_due_at,
            "ack_status": tip.ack_status(now).value,
            "feedback_due_at": tip.feedback_due_at,
            "feedback_status": tip.feedback_status(now).value,
        }


class TipSummaryPage(PagePublic[TipSummaryPublic]):
    """A page of tip summaries, newest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [SUMMARY_EXAMPLE], "next_cursor": None}]}
    )


class TipAccusedPublic(_Public):
    office: str | None
    person_name: str | None
    position: str | None
    is_provincial_labour_office: bool


class TipContactPublic(_Public):
    name: str | None
    phone: str | None
    email: str | None


class TipReporterIdentityPublic(ApiModel):
    """Who reported the tip: the kind always, the identity only once disclosed to the
    caller (the identity vault: POST /api/v1/tips/{tip_id}/disclosure-requests)."""

    kind: Literal["anonymous", "volunteer", "recorded"] = Field(
        description="anonymous; a signed-in volunteer; or recorded by an official"
    )
    disclosed: bool = Field(
        description="A custodian approved the caller's request: account_id, recorded_by "
        "and the tip's contact are shown (each read audited); null otherwise"
    )
    account_id: UUID | None = Field(description="The volunteer's account (once disclosed)")
    recorded_by: UUID | None = Field(
        description="The official who recorded the tip (once disclosed)"
    )

    @classmethod
    def of(cls, record: TipRecord) -> TipReporterIdentityPublic:
        tip = record.tip  # without identity unless disclosed (domain/tips/use_cases.py)
        return cls(
            kind=record.reporter_kind,
            disclosed=record.identity_disclosed,
            account_id=tip.reporter_account_id,
            recorded_by=tip.recorded_by,
        )


class TipStatusChangePublic(_Public):
    """One status change of a tip, as its reporter sees it."""

    at: datetime
    from_status: TipStatus
    to_status: TipStatus
    outcome: TipOutcome | None


class TipEventPublic(TipStatusChangePublic):
    """One status change of a tip, as officials see it: who made it, and why."""

    actor_id: UUID
    actor_role: str
    reason: str | None


class TipLinkPublic(_Public):
    tip_id: UUID = Field(description="The other tip")
    reference: str
    kind: LinkKind
    direction: Literal["outgoing", "incoming"]

    @classmethod
    def of(cls, link: LinkedTip) -> TipLinkPublic:
        return cls.model_validate(
            _Seen(link, direction="outgoing" if link.outgoing else "incoming")
        )


class TipPublic(TipSummaryPublic):
    """The full record, for officials."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **SUMMARY_EXAMPLE,
                    "status": "closed",
                    "ack_status": "met",
                    "feedback_status": "met",
                    "view": "full",
                    "recused": True,
                    "outcome": "referred",
                    "acknowledged_at": "2026-11-26T02:00:00Z",
                    "closed_at": "2027-01-10T04:00:00Z",
                    "description": "เจ้าหน้าที่เรียกรับเงินเพื่อออกใบอนุญาตทำงานให้แรงงานต่างด้าว",
                    "accused": {
                        "office": "สำนักงานแรงงานจังหวัดขอนแก่น",
                        "person_name": None,
                        "position": "เจ้าหน้าที่",
                        "is_provincial_labour_office": True,
                    },
                    "incident_date": None,
                    "incident_period_start": "2026-10-01",
                    "incident_period_end": "2026-10-31",
                    "location": "อำเภอเมืองขอนแก่น",
                    "amount_thb": "5000.00",
                    "contact": None,
                    "reporter": {
                        "kind": "anonymous",
                        "disclosed": False,
                        "account_id": None,
                        "recorded_by": None,
                    },
                    "history": [
                        {
                            **ACKNOWLEDGED_EXAMPLE,
                            "actor_id": EXAMPLE_OFFICER_ID,
                            "actor_role": "central_officer",
                            "reason": None,
                        },
                        {
                            "at": "2027-01-10T04:00:00Z",
                            "from_status": "in_review",
                            "to_status": "closed",
                            "outcome": "referred",
                            "actor_id": EXAMPLE_OFFICER_ID,
                            "actor_role": "central_officer",
                            "reason": "ส่งเรื่องให้ ป.ป.ท. ดำเนินการ",
                        },
                    ],
                    "links": [
                        {
                            "tip_id": EXAMPLE_OTHER_ID,
                            "reference": "TIP-2569-000098",
                            "kind": "related",
                            "direction": "outgoing",
                        }
                    ],
                }
            ]
        }
    )

    view: Literal["full"]
    recused: bool = Field(description="Hidden from the accused province's officials")
    outcome: TipOutcome | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    description: str
    accused: TipAccusedPublic | None
    incident_date: date | None
    incident_period_start: date | None
    incident_period_end: date | None
    location: str | None
    amount_thb: AmountTHB | None
    contact: TipContactPublic | None = Field(
        description="The reporter's contact details: only once disclosed to the caller"
    )
    reporter: TipReporterIdentityPublic
    history: list[TipEventPublic]
    links: list[TipLinkPublic]

    @classmethod
    def of_record(cls, record: TipRecord, now: datetime) -> TipPublic:
        tip = record.tip
        return cls.model_validate(
            _at(
                tip,
                now,
                view="full",
                recused=tip.recused_province_code is not None,
                incident_date=tip.incident.date,
                incident_period_start=tip.incident.period_start,
                incident_period_end=tip.incident.period_end,
                reporter=TipReporterIdentityPublic.of(record),
                history=record.history,
                links=[TipLinkPublic.of(link) for link in record.links],
            )
        )


class TipReporterPublic(_Public):
    """What a reporter sees of their own tip: status, deadlines, status changes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "view": "reporter",
                    "id": EXAMPLE_ID,
                    "reference": "TIP-2569-000123",
                    "status": "acknowledged",
                    "outcome": None,
                    "received_at": "2026-11-25T03:00:00Z",
                    "ack_due_at": "2026-12-02T03:00:00Z",
                    "ack_status": "met",
                    "feedback_due_at": "2027-02-26T03:00:00Z",
                    "feedback_status": "pending",
                    "history": [ACKNOWLEDGED_EXAMPLE],
                    "identity_disclosed": False,
                }
            ]
        }
    )

    view: Literal["reporter"]
    id: UUID
    reference: str
    status: TipStatus
    outcome: TipOutcome | None
    received_at: datetime
    ack_due_at: datetime
    ack_status: DeadlineStatus
    feedback_due_at: datetime
    feedback_status: DeadlineStatus
    history: list[TipStatusChangePublic]
    identity_disclosed: bool = Field(description=_DISCLOSED)

    @classmethod
    def of_record(cls, record: TipRecord, now: datetime) -> TipReporterPublic:
        return cls.model_validate(
            _at(
                record.tip,
                now,
                view="reporter",
                history=record.history,
                identity_disclosed=record.identity_disclosed,
            )
        )


#: GET /tips/{id}: the full record (officials) or the reporter's view, told apart by `view`.
TipView = Annotated[TipPublic | TipReporterPublic, Field(discriminator="view")]


def tip_view(record: TipRecord, now: datetime) -> TipPublic | TipReporterPublic:
    """GET /tips/{id}: the full record for officials, the reporter's view for its reporter."""
    if record.reporter_view:
        return TipReporterPublic.of_record(record, now)
    return TipPublic.of_record(record, now)


# -- the workflow ------------------------------------------------------------------------


class TipTransition(ApiModel):
    """An optional note with a status change; send `{}` or no body at all."""

    reason: str | None = Field(default=None, max_length=2000, description="Kept in the history")
    message: str | None = Field(
        default=None, max_length=MESSAGE_MAX, description="Shown to the reporter"
    )


class TipClose(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "outcome": "referred",
                    "reason": "ส่งเรื่องให้ ป.ป.ท. ดำเนินการ",
                    "message": "เรื่องของท่านได้ส่งต่อให้ ป.ป.ท. แล้ว",
                }
            ]
        }
    )

    outcome: TipOutcome
    reason: str = Field(min_length=1, max_length=2000, description="Kept in the history")
    message: str | None = Field(
        default=None, max_length=MESSAGE_MAX, description="Shown to the reporter"
    )


class TipReassign(ApiModel):
    province_code: str = Field(max_length=8, examples=["41"])


# -- messages and links ------------------------------------------------------------------


class TipMessagePublic(_Public):
    id: UUID
    created_at: datetime
    author: MessageAuthor
    body: str
    internal: bool = Field(description="An internal note: never shown to the reporter")
    author_account_id: UUID | None = Field(description="The official (officials only)")
    author_role: str | None


class TipMessageList(ApiModel):
    items: list[TipMessagePublic] = Field(
        description=f"The newest {MESSAGE_LIST_MAX} messages at most, oldest first"
    )
    messages_truncated: bool = Field(
        default=False, description=f"Older messages exist beyond the newest {MESSAGE_LIST_MAX}"
    )

    @classmethod
    def of(cls, messages: MessageList) -> TipMessageList:
        return cls.model_validate(
            {"items": messages.items, "messages_truncated": messages.truncated}
        )


class TipMessageCreate(ApiModel):
    body: str = Field(min_length=1, max_length=MESSAGE_MAX, examples=["ช่วยระบุวันที่เกิดเหตุได้ไหมครับ"])
    internal: bool = Field(default=False, description="Internal note (officials only)")


class TipLinkCreate(ApiModel):
    target_id: UUID = Field(examples=[EXAMPLE_ID])
    kind: LinkKind


# -- anonymous follow-up -----------------------------------------------------------------


class TipFollowUpRequest(ApiModel):
    receipt: str = Field(max_length=64, examples=[EXAMPLE_RECEIPT])


class TipFollowUpMessageCreate(ApiModel):
    receipt: str = Field(max_length=64, examples=[EXAMPLE_RECEIPT])
    body: str = Field(min_length=1, max_length=MESSAGE_MAX, examples=["เกิดเหตุเมื่อวันที่ 3 ตุลาคม"])


class TipReporterMessagePublic(_Public):
    """A message as the reporter sees it: never which official wrote it."""

    id: UUID
    created_at: datetime
    author: MessageAuthor
    body: str


class TipFollowUpPublic(_Public):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "reference": "TIP-2569-000123",
                    "status": "closed",
                    "outcome": "referred",
                    "received_at": "2026-11-25T03:00:00Z",
                    "ack_due_at": "2026-12-02T03:00:00Z",
                    "ack_status": "met",
                    "feedback_due_at": "2027-02-26T03:00:00Z",
                    "feedback_status": "met",
                    "history": [ACKNOWLEDGED_EXAMPLE],
                    "messages": [
                        {
                            "id": EXAMPLE_ID,
                            "created_at": "2026-11-26T02:05:00Z",
                            "author": "official",
                            "body": "ช่วยระบุวันที่เกิดเหตุได้ไหมครับ",
                        }
                    ],
                    "messages_truncated": False,
                    "identity_disclosed": False,
                }
            ]
        }
    )

    reference: str
    status: TipStatus
    outcome: TipOutcome | None
    received_at: datetime
    ack_due_at: datetime
    ack_status: DeadlineStatus
    feedback_due_at: datetime
    feedback_status: DeadlineStatus
    history: list[TipStatusChangePublic]
    messages: list[TipReporterMessagePublic] = Field(
        description=f"The newest {MESSAGE_LIST_MAX} messages at most, oldest first"
    )
    messages_truncated: bool = Field(
        default=False, description=f"Older messages exist beyond the newest {MESSAGE_LIST_MAX}"
    )
    identity_disclosed: bool = Field(default=False, description=_DISCLOSED)

    @classmethod
    def of(cls, result: FollowUp, now: datetime) -> TipFollowUpPublic:
        return cls.model_validate(
            _at(
                result.tip,
                now,
                history=result.history,
                messages=result.messages,
                messages_truncated=result.messages_truncated,
                identity_disclosed=result.identity_disclosed,
            )
        )


# -- the identity vault ------------------------------------------------------------------

_DISCLOSURE_EXAMPLE: dict[str, JsonValue] = {
    "id": "4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b",
    "tip_id": EXAMPLE_ID,
    "requested_by": EXAMPLE_OFFICER_ID,
    "requester_role": "investigator",
    "status": "approved",
    "reason": "ต้องสอบปากคำผู้แจ้งเพื่อยืนยันหลักฐานการโอนเงิน",
    "requested_at": "2026-12-10T03:00:00Z",
    "decided_by": EXAMPLE_OTHER_ID,
    "decided_at": "2026-12-10T06:00:00Z",
    "decision_reason": "จำเป็นต่อการสอบสวน ผู้ขอได้รับมอบหมายในคดี",
}
_DISCLOSURE_SUMMARY_EXAMPLE: dict[str, JsonValue] = {
    name: _DISCLOSURE_EXAMPLE[name]
    for name in ("id", "tip_id", "requested_by", "requester_role", "status", "requested_at")
} | {"decided_at": _DISCLOSURE_EXAMPLE["decided_at"]}


class TipDisclosureRequestCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": _DISCLOSURE_EXAMPLE["reason"]}]}
    )

    reason: str = Field(
        min_length=1, max_length=DISCLOSURE_REASON_MAX, description="Why you need to know"
    )


class TipDisclosureDecision(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": _DISCLOSURE_EXAMPLE["decision_reason"]}]}
    )

    reason: str = Field(min_length=1, max_length=DISCLOSURE_REASON_MAX)


class TipDisclosurePublic(_Public):
    """A request to see who reported a tip, and the custodian's decision."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DISCLOSURE_EXAMPLE]})

    id: UUID
    tip_id: UUID
    requested_by: UUID
    requester_role: str
    status: DisclosureStatus
    reason: str
    requested_at: datetime
    decided_by: UUID | None
    decided_at: datetime | None
    decision_reason: str | None


class TipDisclosureSummaryPublic(_Public):
    model_config = ConfigDict(json_schema_extra={"examples": [_DISCLOSURE_SUMMARY_EXAMPLE]})

    id: UUID
    tip_id: UUID
    requested_by: UUID
    requester_role: str
    status: DisclosureStatus
    requested_at: datetime
    decided_at: datetime | None


class TipDisclosureSummaryPage(PagePublic[TipDisclosureSummaryPublic]):
    """A page of disclosure requests, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [_DISCLOSURE_SUMMARY_EXAMPLE], "next_cursor": None}]
        }
    )
