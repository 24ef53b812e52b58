"""Tips: intake (anonymous or signed in), follow-up by receipt, triage, messages, links.

Confidential content (description, accused, contact, reporter identity, messages) is only
in the full record and the messages of a tip, each read audited; lists carry summaries.
Receipts travel only in JSON bodies, never in URLs.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, ConfigDict, Field, JsonValue, model_validator

from api.deps import Uow, requires
from api.idempotency import REPLAYED_HEADER, IdempotencyKeyHeader, idempotency_key
from api.pagination import PagePublic, Paging
from api.problems import problem_responses
from api.ratelimit import Budget, Limits
from api.schemas import ApiModel
from api.services import ClockDep, SettingsDep
from domain.policy import Action, Principal
from domain.tips import use_cases as tips
from domain.tips.access import is_official
from domain.tips.deadlines import DeadlineRules, DeadlineStatus, OverdueKind
from domain.tips.errors import ReceiptNotFound
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
    TipEvent,
    TipMessage,
    TipOutcome,
    TipStatus,
    TipSummary,
)
from domain.tips.ports import TipQuery

router = APIRouter(prefix="/api/v1/tips", tags=["tips"])

Submitter = Annotated[Principal | None, requires(Action.TIP_SUBMIT)]
ReceiptHolder = Annotated[Principal | None, requires(Action.TIP_FOLLOW_UP)]
Reader = Annotated[Principal | None, requires(Action.TIP_READ)]
Triager = Annotated[Principal | None, requires(Action.TIP_TRIAGE)]
Reassigner = Annotated[Principal | None, requires(Action.TIP_REASSIGN)]
Messenger = Annotated[Principal | None, requires(Action.TIP_MESSAGE)]
Linker = Annotated[Principal | None, requires(Action.TIP_LINK)]

EXAMPLE_ID = "0b7e6c1a-3f4d-4c2b-9a8e-5d6f7a8b9c0d"
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


def deadline_rules(settings: SettingsDep) -> DeadlineRules:
    return DeadlineRules(
        ack_days=settings.tip_ack_days, feedback_months=settings.tip_feedback_months
    )


Rules = Annotated[DeadlineRules, Depends(deadline_rules)]


# -- schemas -----------------------------------------------------------------------------


class AccusedIn(ApiModel):
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


class ContactIn(ApiModel):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32, examples=["0812345678"])
    email: str | None = Field(default=None, max_length=254)


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
    accused: AccusedIn | None = None
    incident_date: date | None = None
    incident_period_start: date | None = None
    incident_period_end: date | None = None
    location: str | None = Field(default=None, max_length=500)
    amount_thb: Decimal | None = Field(
        default=None, ge=0, max_digits=14, decimal_places=2, description="Estimated THB"
    )
    channel: TipChannel = Field(
        default=TipChannel.WEB,
        description="hotline and walk_in: recorded by officials on a reporter's behalf",
    )
    contact: ContactIn | None = Field(
        default=None, description="Only for reporters who want to be contacted"
    )

    @model_validator(mode="after")
    def _incident_is_a_date_or_a_period(self) -> TipCreate:
        Incident(
            date=self.incident_date,
            period_start=self.incident_period_start,
            period_end=self.incident_period_end,
        ).check()
        return self


class TipCreated(ApiModel):
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


class TipSummaryPublic(ApiModel):
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
        return cls(
            id=tip.id,
            reference=tip.reference,
            province_code=tip.province_code,
            category=tip.category,
            status=tip.status,
            channel=tip.channel,
            received_at=tip.received_at,
            ack_due_at=tip.ack_due_at,
            ack_status=tip.ack_status(now),
            feedback_due_at=tip.feedback_due_at,
            feedback_status=tip.feedback_status(now),
        )


class TipSummaryPage(PagePublic[TipSummaryPublic]):
    """A page of tip summaries, newest first."""


class AccusedPublic(ApiModel):
    office: str | None
    person_name: str | None
    position: str | None
    is_provincial_labour_office: bool


class ContactPublic(ApiModel):
    name: str | None
    phone: str | None
    email: str | None


class ReporterPublic(ApiModel):
    kind: Literal["anonymous", "volunteer", "recorded"] = Field(
        description="anonymous; a signed-in volunteer; or recorded by an official"
    )
    account_id: UUID | None = Field(description="The volunteer's account (confidential)")
    recorded_by: UUID | None = Field(description="The official who recorded the tip")


class StatusChangePublic(ApiModel):
    at: datetime
    from_status: TipStatus
    to_status: TipStatus
    outcome: TipOutcome | None

    @classmethod
    def of(cls, event: TipEvent) -> StatusChangePublic:
        return cls(
            at=event.at,
            from_status=event.from_status,
            to_status=event.to_status,
            outcome=event.outcome,
        )


class TipEventPublic(StatusChangePublic):
    actor_id: UUID
    actor_role: str
    reason: str | None

    @classmethod
    def of(cls, event: TipEvent) -> TipEventPublic:
        return cls(
            at=event.at,
            from_status=event.from_status,
            to_status=event.to_status,
            outcome=event.outcome,
            actor_id=event.actor_id,
            actor_role=event.actor_role,
            reason=event.reason,
        )


class TipLinkPublic(ApiModel):
    tip_id: UUID = Field(description="The other tip")
    reference: str
    kind: LinkKind
    direction: Literal["outgoing", "incoming"]

    @classmethod
    def of(cls, link: LinkedTip) -> TipLinkPublic:
        return cls(
            tip_id=link.tip_id,
            reference=link.reference,
            kind=link.kind,
            direction="outgoing" if link.outgoing else "incoming",
        )


class TipPublic(TipSummaryPublic):
    """The full record, for officials."""

    view: Literal["full"] = "full"
    recused: bool = Field(description="Hidden from the accused province's officials")
    outcome: TipOutcome | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    description: str
    accused: AccusedPublic | None
    incident_date: date | None
    incident_period_start: date | None
    incident_period_end: date | None
    location: str | None
    amount_thb: Decimal | None
    contact: ContactPublic | None
    reporter: ReporterPublic
    history: list[TipEventPublic]
    links: list[TipLinkPublic]


class TipReporterPublic(ApiModel):
    """What a reporter sees of their own tip: status, deadlines, status changes."""

    view: Literal["reporter"] = "reporter"
    id: UUID
    reference: str
    status: TipStatus
    outcome: TipOutcome | None
    received_at: datetime
    ack_due_at: datetime
    ack_status: DeadlineStatus
    feedback_due_at: datetime
    feedback_status: DeadlineStatus
    history: list[StatusChangePublic]


class TipMessagePublic(ApiModel):
    id: UUID
    created_at: datetime
    author: MessageAuthor
    body: str
    internal: bool = Field(description="An internal note: never shown to the reporter")
    author_account_id: UUID | None = Field(description="The official (officials only)")
    author_role: str | None

    @classmethod
    def of(cls, message: TipMessage) -> TipMessagePublic:
        return cls(
            id=message.id,
            created_at=message.created_at,
            author=message.author,
            body=message.body,
            internal=message.internal,
            author_account_id=message.author_account_id,
            author_role=message.author_role,
        )


class TipMessageList(ApiModel):
    items: list[TipMessagePublic] = Field(
        description=f"The newest {tips.MESSAGE_LIST_MAX} messages at most, oldest first"
    )
    messages_truncated: bool = Field(
        default=False, description=f"Older messages exist beyond the newest {tips.MESSAGE_LIST_MAX}"
    )


class TipMessageCreate(ApiModel):
    body: str = Field(
        min_length=1, max_length=tips.MESSAGE_MAX, examples=["ช่วยระบุวันที่เกิดเหตุได้ไหมครับ"]
    )
    internal: bool = Field(default=False, description="Internal note (officials only)")


class TipTransition(ApiModel):
    reason: str | None = Field(default=None, max_length=2000, description="Kept in the history")
    message: str | None = Field(
        default=None, max_length=tips.MESSAGE_MAX, description="Shown to the reporter"
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
        default=None, max_length=tips.MESSAGE_MAX, description="Shown to the reporter"
    )


class TipReassign(ApiModel):
    province_code: str = Field(max_length=8, examples=["41"])


class TipLinkCreate(ApiModel):
    target_id: UUID = Field(examples=[EXAMPLE_ID])
    kind: LinkKind


class FollowUpRequest(ApiModel):
    receipt: str = Field(max_length=64, examples=[EXAMPLE_RECEIPT])


class FollowUpMessageCreate(ApiModel):
    receipt: str = Field(max_length=64, examples=[EXAMPLE_RECEIPT])
    body: str = Field(min_length=1, max_length=tips.MESSAGE_MAX, examples=["เกิดเหตุเมื่อวันที่ 3 ตุลาคม"])


class ReporterMessagePublic(ApiModel):
    id: UUID
    created_at: datetime
    author: MessageAuthor
    body: str

    @classmethod
    def of(cls, message: TipMessage) -> ReporterMessagePublic:
        return cls(
            id=message.id, created_at=message.created_at, author=message.author, body=message.body
        )


class TipFollowUpPublic(ApiModel):
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
                    "history": [
                        {
                            "at": "2026-11-26T02:00:00Z",
                            "from_status": "received",
                            "to_status": "acknowledged",
                            "outcome": None,
                        }
                    ],
                    "messages": [
                        {
                            "id": EXAMPLE_ID,
                            "created_at": "2026-11-26T02:05:00Z",
                            "author": "official",
                            "body": "ช่วยระบุวันที่เกิดเหตุได้ไหมครับ",
                        }
                    ],
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
    history: list[StatusChangePublic]
    messages: list[ReporterMessagePublic] = Field(
        description=f"The newest {tips.MESSAGE_LIST_MAX} messages at most, oldest first"
    )
    messages_truncated: bool = Field(
        default=False, description=f"Older messages exist beyond the newest {tips.MESSAGE_LIST_MAX}"
    )


#: GET /tips/{id}: the full record (officials) or the reporter's view, told apart by `view`.
TipView = Annotated[TipPublic | TipReporterPublic, Field(discriminator="view")]


def _record(record: tips.TipRecord, now: datetime) -> TipPublic | TipReporterPublic:
    tip = record.tip
    if record.reporter_view:
        return TipReporterPublic(
            id=tip.id,
            reference=tip.reference,
            status=tip.status,
            outcome=tip.outcome,
            received_at=tip.received_at,
            ack_due_at=tip.ack_due_at,
            ack_status=tip.ack_status(now),
            feedback_due_at=tip.feedback_due_at,
            feedback_status=tip.feedback_status(now),
            history=[StatusChangePublic.of(e) for e in record.history],
        )
    summary = TipSummaryPublic.of(tip, now)
    accused, contact = tip.accused, tip.contact
    kind: Literal["anonymous", "volunteer", "recorded"] = (
        "volunteer" if tip.reporter_account_id else "recorded" if tip.recorded_by else "anonymous"
    )
    return TipPublic(
        **summary.model_dump(),
        recused=tip.recused_province_code is not None,
        outcome=tip.outcome,
        acknowledged_at=tip.acknowledged_at,
        closed_at=tip.closed_at,
        description=tip.description,
        accused=None
        if accused is None
        else AccusedPublic(
            office=accused.office,
            person_name=accused.person_name,
            position=accused.position,
            is_provincial_labour_office=accused.is_provincial_labour_office,
        ),
        incident_date=tip.incident.date,
        incident_period_start=tip.incident.period_start,
        incident_period_end=tip.incident.period_end,
        location=tip.location,
        amount_thb=tip.amount_thb,
        contact=None
        if contact is None
        else ContactPublic(name=contact.name, phone=contact.phone, email=contact.email),
        reporter=ReporterPublic(
            kind=kind, account_id=tip.reporter_account_id, recorded_by=tip.recorded_by
        ),
        history=[TipEventPublic.of(e) for e in record.history],
        links=[TipLinkPublic.of(link) for link in record.links],
    )


# -- intake and follow-up ----------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=TipCreated,
    responses=problem_responses(401, 403, 409, 422, 429),
)
async def tips_create(
    limits: Limits,
    response: Response,
    uow: Uow,
    caller: Submitter,
    rules: Rules,
    body: TipCreate,
    idempotency_key_header: IdempotencyKeyHeader = None,
) -> TipCreated:
    """Submit a tip, anonymously (no token) or signed in.

    Send an `Idempotency-Key`: a retry with the same key returns the original answer
    (same id, reference and receipt) with `Idempotent-Replayed: true`, never a second
    tip. The 201 comes only after the tip is stored. Anonymous submitters get a receipt,
    once, to follow up with; no address or device data is stored or logged. A provincial
    officer cannot record a tip accusing their own provincial labour office (409): the
    central centre records those.
    """
    if caller is None:
        await limits.hit(Budget.TIP_SUBMIT)
    key = idempotency_key(idempotency_key_header, caller=caller, operation="tips_create", body=body)
    accused = body.accused
    contact = body.contact
    result = await tips.submit_tip(
        uow,
        actor=caller,
        rules=rules,
        idempotency=key,
        submission=tips.TipSubmission(
            province_code=body.province_code,
            category=body.category,
            description=body.description,
            channel=body.channel,
            accused=None
            if accused is None
            else Accused(
                office=accused.office,
                person_name=accused.person_name,
                position=accused.position,
                is_provincial_labour_office=accused.is_provincial_labour_office,
            ),
            incident=Incident(
                date=body.incident_date,
                period_start=body.incident_period_start,
                period_end=body.incident_period_end,
            ),
            location=body.location,
            amount_thb=body.amount_thb,
            contact=None
            if contact is None
            else Contact(name=contact.name, phone=contact.phone, email=contact.email),
        ),
    )
    if result.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return TipCreated(
        id=result.id,
        reference=result.reference,
        status=result.status,
        ack_due_at=result.ack_due_at,
        feedback_due_at=result.feedback_due_at,
        receipt=result.receipt,
    )


@router.post(
    "/follow-up",
    response_model=TipFollowUpPublic,
    responses=problem_responses(401, 403, 404, 422, 429),
)
async def tips_follow_up(
    uow: Uow, limits: Limits, clock: ClockDep, _caller: ReceiptHolder, body: FollowUpRequest
) -> TipFollowUpPublic:
    """Follow up on a tip with its receipt: status, deadlines and messages for the reporter.

    The receipt goes in the body, never in the URL. Wrong receipts get a 404 and count
    against a per-client limit (then 429).
    """
    await limits.check(Budget.TIP_RECEIPT_FAILURE)
    try:
        result = await tips.follow_up(uow, receipt=body.receipt)
    except ReceiptNotFound:
        await limits.hit(Budget.TIP_RECEIPT_FAILURE)
        raise
    tip, now = result.tip, clock.now()
    return TipFollowUpPublic(
        reference=tip.reference,
        status=tip.status,
        outcome=tip.outcome,
        received_at=tip.received_at,
        ack_due_at=tip.ack_due_at,
        ack_status=tip.ack_status(now),
        feedback_due_at=tip.feedback_due_at,
        feedback_status=tip.feedback_status(now),
        history=[StatusChangePublic.of(e) for e in result.history],
        messages=[ReporterMessagePublic.of(m) for m in result.messages],
        messages_truncated=result.messages_truncated,
    )


@router.post(
    "/follow-up/messages",
    status_code=201,
    response_model=ReporterMessagePublic,
    responses=problem_responses(401, 403, 404, 422, 429),
)
async def tips_follow_up_message(
    uow: Uow, limits: Limits, _caller: ReceiptHolder, body: FollowUpMessageCreate
) -> ReporterMessagePublic:
    """Answer officials or add information to a tip, with its receipt.

    At most `TIP_REPORTER_MESSAGE_RATE` (default 20 an hour) messages per client, then 429.
    """
    await limits.check(Budget.TIP_RECEIPT_FAILURE)
    await limits.check(Budget.TIP_REPORTER_MESSAGE)
    try:
        message = await tips.follow_up_message(uow, receipt=body.receipt, body=body.body)
    except ReceiptNotFound:
        await limits.hit(Budget.TIP_RECEIPT_FAILURE)
        raise
    await limits.count(Budget.TIP_REPORTER_MESSAGE)
    return ReporterMessagePublic.of(message)


# -- reading -----------------------------------------------------------------------------


@router.get("", response_model=TipSummaryPage, responses=problem_responses(401, 403, 422))
async def tips_list(
    clock: ClockDep,
    uow: Uow,
    caller: Reader,
    paging: Paging,
    province_code: Annotated[str | None, Query(max_length=8, examples=["40"])] = None,
    status: TipStatus | None = None,
    category: TipCategory | None = None,
    received_from: Annotated[
        AwareDatetime | None, Query(description="Received at or after (inclusive)")
    ] = None,
    received_to: Annotated[
        AwareDatetime | None, Query(description="Received before (exclusive)")
    ] = None,
    overdue: Annotated[
        OverdueKind | None,
        Query(description="Only tips whose acknowledgement or feedback deadline was breached"),
    ] = None,
) -> TipSummaryPage:
    """List the tips the caller may see (summaries only), newest first."""
    page = await tips.list_tips(
        uow,
        actor=caller,
        query=TipQuery(
            province_code=province_code,
            status=status,
            category=category,
            received_from=received_from,
            received_to=received_to,
            overdue=overdue,
        ),
        page=paging.by_time(),
    )
    now = clock.now()
    return TipSummaryPage.of(page, lambda tip: TipSummaryPublic.of(tip, now))


@router.get(
    "/{tip_id}",
    response_model=TipView,
    responses=problem_responses(401, 403, 404, 422),
)
async def tips_get(
    clock: ClockDep, uow: Uow, caller: Reader, tip_id: UUID
) -> TipPublic | TipReporterPublic:
    """Read one tip: the full record for officials, status only for its reporter (audited)."""
    record = await tips.get_tip(uow, actor=caller, tip_id=tip_id)
    return _record(record, clock.now())


# -- the workflow ------------------------------------------------------------------------

TRANSITION_ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.post("/{tip_id}/acknowledge", response_model=TipSummaryPublic, responses=TRANSITION_ERRORS)
async def tips_acknowledge(
    clock: ClockDep,
    uow: Uow,
    caller: Triager,
    rules: Rules,
    tip_id: UUID,
    body: TipTransition | None = None,
) -> TipSummaryPublic:
    """Acknowledge receipt of a tip (received -> acknowledged)."""
    body = body or TipTransition()
    tip = await tips.acknowledge_tip(
        uow, actor=caller, tip_id=tip_id, rules=rules, reason=body.reason, message=body.message
    )
    return TipSummaryPublic.of(tip, clock.now())


@router.post("/{tip_id}/review", response_model=TipSummaryPublic, responses=TRANSITION_ERRORS)
async def tips_review(
    clock: ClockDep, uow: Uow, caller: Triager, tip_id: UUID, body: TipTransition | None = None
) -> TipSummaryPublic:
    """Start reviewing a tip (acknowledged -> in_review)."""
    body = body or TipTransition()
    tip = await tips.start_review(
        uow, actor=caller, tip_id=tip_id, reason=body.reason, message=body.message
    )
    return TipSummaryPublic.of(tip, clock.now())


@router.post("/{tip_id}/close", response_model=TipSummaryPublic, responses=TRANSITION_ERRORS)
async def tips_close(
    clock: ClockDep, uow: Uow, caller: Triager, tip_id: UUID, body: TipClose
) -> TipSummaryPublic:
    """Close a tip with an outcome and a reason, optionally telling the reporter."""
    tip = await tips.close_tip(
        uow,
        actor=caller,
        tip_id=tip_id,
        outcome=body.outcome,
        reason=body.reason,
        message=body.message,
    )
    return TipSummaryPublic.of(tip, clock.now())


@router.post(
    "/{tip_id}/reassign",
    response_model=TipSummaryPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def tips_reassign(
    clock: ClockDep, uow: Uow, caller: Reassigner, tip_id: UUID, body: TipReassign
) -> TipSummaryPublic:
    """Assign a tip to another province (central officers)."""
    tip = await tips.reassign_tip(
        uow, actor=caller, tip_id=tip_id, province_code=body.province_code
    )
    return TipSummaryPublic.of(tip, clock.now())


# -- messages and links ------------------------------------------------------------------


@router.get(
    "/{tip_id}/messages",
    response_model=TipMessageList,
    responses=problem_responses(401, 403, 404, 422),
)
async def tips_messages_list(uow: Uow, caller: Messenger, tip_id: UUID) -> TipMessageList:
    """Messages of a tip, oldest first (reporters never see internal notes).

    At most the newest 200; `messages_truncated` tells that older ones exist.
    """
    messages = await tips.list_messages(uow, actor=caller, tip_id=tip_id)
    return TipMessageList(
        items=[TipMessagePublic.of(m) for m in messages.items],
        messages_truncated=messages.truncated,
    )


@router.post(
    "/{tip_id}/messages",
    status_code=201,
    response_model=TipMessagePublic,
    responses=problem_responses(401, 403, 404, 422, 429),
)
async def tips_messages_create(
    uow: Uow, limits: Limits, caller: Messenger, tip_id: UUID, body: TipMessageCreate
) -> TipMessagePublic:
    """Write to the reporter, add an internal note, or (as its reporter) answer.

    A reporter's messages count against the same per-client limit as follow-up messages.
    """
    reporter = not is_official(caller)
    if reporter:
        await limits.check(Budget.TIP_REPORTER_MESSAGE)
    message = await tips.post_message(
        uow, actor=caller, tip_id=tip_id, body=body.body, internal=body.internal
    )
    if reporter:
        await limits.count(Budget.TIP_REPORTER_MESSAGE)
    return TipMessagePublic.of(message)


@router.post(
    "/{tip_id}/links",
    status_code=201,
    response_model=TipLinkPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def tips_links_create(
    uow: Uow, caller: Linker, tip_id: UUID, body: TipLinkCreate
) -> TipLinkPublic:
    """Link a tip to another one you can see, as duplicate_of or related."""
    link = await tips.link_tips(
        uow, actor=caller, tip_id=tip_id, target_id=body.target_id, kind=body.kind
    )
    return TipLinkPublic.of(link)
