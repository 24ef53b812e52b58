"""Tips: intake (anonymous or signed in), follow-up by receipt, triage, messages, links.

Confidential content (description, accused, contact, reporter identity, messages) is only
in the full record and the messages of a tip, each read audited; lists carry summaries.
Receipts travel only in JSON bodies, never in URLs. Schemas: api/tips/schemas.py.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import AwareDatetime

from api.deps import Uow, requires
from api.headers import IDEMPOTENT_REPLAYED, LOCATION, with_headers
from api.idempotency import REPLAYED_HEADER, IdempotencyKeyHeader, idempotency_key
from api.pagination import Paging
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.ratelimit import Budget, Limits
from api.services import ClockDep, SettingsDep
from api.tips.schemas import (
    TipClose,
    TipCreate,
    TipCreated,
    TipDisclosureDecision,
    TipDisclosurePublic,
    TipDisclosureRequestCreate,
    TipDisclosureSummaryPage,
    TipDisclosureSummaryPublic,
    TipFollowUpMessageCreate,
    TipFollowUpPublic,
    TipFollowUpRequest,
    TipLinkCreate,
    TipLinkPublic,
    TipMessageCreate,
    TipMessageList,
    TipMessagePublic,
    TipPublic,
    TipReassign,
    TipReporterMessagePublic,
    TipReporterPublic,
    TipSummaryPage,
    TipSummaryPublic,
    TipTransition,
    TipView,
    tip_view,
)
from domain.policy import Action, Principal
from domain.tips import use_cases as tips
from domain.tips.access import is_official
from domain.tips.deadlines import DeadlineRules, OverdueKind
from domain.tips.disclosures import Decision, DisclosureStatus
from domain.tips.errors import ReceiptNotFound
from domain.tips.model import TipCategory, TipStatus
from domain.tips.ports import TipQuery

router = APIRouter(prefix="/api/v1/tips", tags=["tips"], route_class=PlannedRoute)

Submitter = Annotated[Principal | None, requires(Action.TIP_SUBMIT)]
ReceiptHolder = Annotated[Principal | None, requires(Action.TIP_FOLLOW_UP)]
Reader = Annotated[Principal | None, requires(Action.TIP_READ)]
Triager = Annotated[Principal | None, requires(Action.TIP_TRIAGE)]
Reassigner = Annotated[Principal | None, requires(Action.TIP_REASSIGN)]
Messenger = Annotated[Principal | None, requires(Action.TIP_MESSAGE)]
Linker = Annotated[Principal | None, requires(Action.TIP_LINK)]


async def deadline_rules(settings: SettingsDep) -> DeadlineRules:
    return DeadlineRules(
        ack_days=settings.tip_ack_days, feedback_months=settings.tip_feedback_months
    )


Rules = Annotated[DeadlineRules, Depends(deadline_rules)]

#: The optional body of acknowledge and review: leaving it out is the same as `{}`.
OptionalTransition = Annotated[TipTransition, Body(default_factory=TipTransition)]
OPTIONAL_BODY = {"requestBody": {"required": False}}


# -- intake and follow-up ----------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=TipCreated,
    responses={
        **with_headers(201, LOCATION, IDEMPOTENT_REPLAYED),
        **problem_responses(401, 403, 409, 422, 429),
    },
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
    result = await tips.submit_tip(
        uow, actor=caller, rules=rules, idempotency=key, submission=body.submission()
    )
    response.headers["Location"] = f"{router.prefix}/{result.id}"
    if result.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return TipCreated.model_validate(result)


@router.post(
    "/follow-up",
    response_model=TipFollowUpPublic,
    responses=problem_responses(401, 403, 404, 422, 429),
)
async def tips_follow_up(
    uow: Uow, limits: Limits, clock: ClockDep, _caller: ReceiptHolder, body: TipFollowUpRequest
) -> TipFollowUpPublic:
    """Follow up on a tip with its receipt: status, deadlines and messages for the reporter.

    No token is needed: the receipt is the credential (a signed-in caller is still
    recorded as anonymous). The receipt goes in the body, never in the URL.
    Wrong receipts get a 404 that says nothing about why, and count against a per-client
    limit (then 429, also for the right receipt).
    """
    await limits.check(Budget.TIP_RECEIPT_FAILURE)
    try:
        result = await tips.follow_up(uow, receipt=body.receipt)
    except ReceiptNotFound:
        await limits.hit(Budget.TIP_RECEIPT_FAILURE)
        raise
    return TipFollowUpPublic.of(result, clock.now())


@router.post(
    "/follow-up/messages",
    status_code=201,
    response_model=TipReporterMessagePublic,
    responses=problem_responses(401, 403, 404, 422, 429),
)
async def tips_follow_up_message(
    uow: Uow, limits: Limits, _caller: ReceiptHolder, body: TipFollowUpMessageCreate
) -> TipReporterMessagePublic:
    """Answer officials or add information to a tip, with its receipt.

    For the anonymous reporter holding the receipt; wrong receipts count like those of
    the follow-up (404, then 429). At most `TIP_REPORTER_MESSAGE_RATE` (default 20 an
    hour) messages per client, then 429.
    """
    await limits.check(Budget.TIP_RECEIPT_FAILURE)
    await limits.check(Budget.TIP_REPORTER_MESSAGE)
    try:
        message = await tips.follow_up_message(uow, receipt=body.receipt, body=body.body)
    except ReceiptNotFound:
        await limits.hit(Budget.TIP_RECEIPT_FAILURE)
        raise
    await limits.count(Budget.TIP_REPORTER_MESSAGE)
    return TipReporterMessagePublic.model_validate(message)


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
) -> Response:
    """List the tips the caller may see (summaries only), newest first.

    Officials see their province's tips (minus those recused from it) or, centrally,
    every tip; volunteers see the tips they reported. Summaries carry no confidential
    content and reading them is not audited; filters combine, and `overdue` lists the
    tips whose acknowledgement or feedback deadline was breached (a late act stays a
    breach).
    """
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
    return TipSummaryPage.render(page, lambda tip: TipSummaryPublic.values(tip, now))


@router.get(
    "/{tip_id}",
    response_model=TipView,
    responses=problem_responses(401, 403, 404, 422),
)
async def tips_get(
    clock: ClockDep, uow: Uow, caller: Reader, tip_id: UUID
) -> TipPublic | TipReporterPublic:
    """Read one tip: the full record for officials, status only for its reporter (audited).

    Officials get the full record (`view: full`) with the confidential content, the
    history with reasons and the links to tips they can see; a volunteer reading their
    own tip gets the reporter's view (`view: reporter`). Every read is recorded in the
    audit log. A tip the caller may not see is a 404, exactly like one that does not exist.
    """
    record = await tips.get_tip(uow, actor=caller, tip_id=tip_id)
    return tip_view(record, clock.now())


# -- the workflow (TIP_WORKFLOW in domain/tips/model.py) ---------------------------------

TRANSITION_ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.post(
    "/{tip_id}/acknowledge",
    response_model=TipSummaryPublic,
    responses=TRANSITION_ERRORS,
    openapi_extra=OPTIONAL_BODY,
)
async def tips_acknowledge(
    clock: ClockDep, uow: Uow, caller: Triager, rules: Rules, tip_id: UUID, body: OptionalTransition
) -> TipSummaryPublic:
    """Acknowledge receipt of a tip (received -> acknowledged).

    For officials who may triage the tip. Starts the feedback deadline; an
    acknowledgement after its deadline is still recorded, and the tip stays `overdue` on
    that deadline. The body is optional: a reason for the history and a message for the
    reporter. A tip in another status is a 409.
    """
    tip = await tips.acknowledge_tip(
        uow, actor=caller, tip_id=tip_id, rules=rules, reason=body.reason, message=body.message
    )
    return TipSummaryPublic.of(tip, clock.now())


@router.post(
    "/{tip_id}/review",
    response_model=TipSummaryPublic,
    responses=TRANSITION_ERRORS,
    openapi_extra=OPTIONAL_BODY,
)
async def tips_review(
    clock: ClockDep, uow: Uow, caller: Triager, tip_id: UUID, body: OptionalTransition
) -> TipSummaryPublic:
    """Start reviewing a tip (acknowledged -> in_review).

    For officials who may triage the tip. The body is optional: a reason for the history
    and a message for the reporter. A tip in another status is a 409.
    """
    tip = await tips.start_review(
        uow, actor=caller, tip_id=tip_id, reason=body.reason, message=body.message
    )
    return TipSummaryPublic.of(tip, clock.now())


@router.post("/{tip_id}/close", response_model=TipSummaryPublic, responses=TRANSITION_ERRORS)
async def tips_close(
    clock: ClockDep, uow: Uow, caller: Triager, tip_id: UUID, body: TipClose
) -> TipSummaryPublic:
    """Close a tip with an outcome and a reason, optionally telling the reporter.

    For officials who may triage the tip, from in_review or investigating. The reason is
    kept in the history (officials only); the reporter sees the outcome, and the closure
    counts as feedback. A tip in another status is a 409.
    """
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
    """Assign a tip to another province (central officers).

    The province must exist and differ from the current one; a tip that accuses a
    province's labour office is never assigned to that province (422).
    """
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

    For officials who can see the tip and for the volunteer who reported it (who does
    not see which official wrote). At most the newest 200; `messages_truncated` tells
    that older ones exist. Every read is audited.
    """
    messages = await tips.list_messages(uow, actor=caller, tip_id=tip_id)
    return TipMessageList.of(messages)


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

    Officials' messages to the reporter count as feedback; internal notes are for
    officials only (403 for a reporter). A reporter's messages count against the same
    per-client limit as follow-up messages (429).
    """
    reporter = not is_official(caller)
    if reporter:
        await limits.check(Budget.TIP_REPORTER_MESSAGE)
    message = await tips.post_message(
        uow, actor=caller, tip_id=tip_id, body=body.body, internal=body.internal
    )
    if reporter:
        await limits.count(Budget.TIP_REPORTER_MESSAGE)
    return TipMessagePublic.model_validate(message)


@router.post(
    "/{tip_id}/links",
    status_code=201,
    response_model=TipLinkPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def tips_links_create(
    uow: Uow, caller: Linker, tip_id: UUID, body: TipLinkCreate
) -> TipLinkPublic:
    """Link a tip to another one you can see, as duplicate_of or related.

    For officials; both tips must be visible to the caller (404 otherwise). A pair is
    linked once whichever way round (409), and never to itself (422).
    """
    link = await tips.link_tips(
        uow, actor=caller, tip_id=tip_id, target_id=body.target_id, kind=body.kind
    )
    return TipLinkPublic.of(link)


# -- the identity vault (domain/tips/disclosures.py) -------------------------------------


@router.post(
    "/{tip_id}/disclosure-requests",
    status_code=201,
    response_model=TipDisclosurePublic,
    responses=with_headers(201, LOCATION) | problem_responses(401, 403, 404, 409, 422),
)
async def tips_request_disclosure(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.TIP_DISCLOSURE_REQUEST)],
    tip_id: UUID,
    body: TipDisclosureRequestCreate,
) -> TipDisclosurePublic:
    """Ask a custodian to see who reported a tip, with a reason.

    The reporter's identity (a volunteer's account, contact details, who recorded a
    hotline call) is hidden from everyone by default. Officials who can see the tip ask
    (investigators: the tips of their investigations); a central officer approves or
    refuses. Once approved, the requester alone sees it, for this tip only, and each read
    is audited. A tip whose reporter left no identity at all is a 409.
    """
    request = await tips.request_disclosure(uow, actor=caller, tip_id=tip_id, reason=body.reason)
    response.headers["Location"] = f"{disclosures_router.prefix}/{request.id}"
    return TipDisclosurePublic.model_validate(request)


disclosures_router = APIRouter(
    prefix="/api/v1/disclosure-requests", tags=["tips"], route_class=PlannedRoute
)
DisclosureReader = Annotated[Principal | None, requires(Action.TIP_DISCLOSURE_READ)]
Custodian = Annotated[Principal | None, requires(Action.TIP_DISCLOSURE_DECIDE)]


@disclosures_router.get(
    "", response_model=TipDisclosureSummaryPage, responses=problem_responses(401, 403, 422)
)
async def disclosure_requests_list(
    uow: Uow,
    caller: DisclosureReader,
    paging: Paging,
    status: DisclosureStatus | None = None,
) -> TipDisclosureSummaryPage:
    """List requests to see who reported a tip, newest first (`?status=pending`).

    Custodians (central officers) and admins see every request; investigators and
    provincial officers their own. Items carry no reasons.
    """
    page = await tips.list_disclosures(uow, actor=caller, status=status, page=paging.by_time())
    return TipDisclosureSummaryPage.of(page, TipDisclosureSummaryPublic.model_validate)


@disclosures_router.get(
    "/{request_id}",
    response_model=TipDisclosurePublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def disclosure_requests_get(
    uow: Uow, caller: DisclosureReader, request_id: UUID
) -> TipDisclosurePublic:
    """Read one disclosure request with its reasons and decision.

    For custodians and admins, and for the official who asked (404 for anyone else).
    """
    request = await tips.get_disclosure(uow, actor=caller, request_id=request_id)
    return TipDisclosurePublic.model_validate(request)


_DECISION_RESPONSES = problem_responses(401, 403, 404, 409, 422)


@disclosures_router.post(
    "/{request_id}/approve", response_model=TipDisclosurePublic, responses=_DECISION_RESPONSES
)
async def disclosure_requests_approve(
    uow: Uow, caller: Custodian, request_id: UUID, body: TipDisclosureDecision
) -> TipDisclosurePublic:
    """Approve a request to see who reported a tip (custodians), with a reason.

    The requester then sees the reporter's identity on that tip only; the reporter's
    follow-up shows that it was disclosed (never to whom). A decided request is a 409; a
    custodian never decides their own request (403).
    """
    request = await tips.decide_disclosure(
        uow, actor=caller, request_id=request_id, decision=Decision.APPROVE, reason=body.reason
    )
    return TipDisclosurePublic.model_validate(request)


@disclosures_router.post(
    "/{request_id}/refuse", response_model=TipDisclosurePublic, responses=_DECISION_RESPONSES
)
async def disclosure_requests_refuse(
    uow: Uow, caller: Custodian, request_id: UUID, body: TipDisclosureDecision
) -> TipDisclosurePublic:
    """Refuse a request to see who reported a tip (custodians), with a reason.

    Nothing is revealed. A decided request is a 409; a custodian never decides their own
    request (403).
    """
    request = await tips.decide_disclosure(
        uow, actor=caller, request_id=request_id, decision=Decision.REFUSE, reason=body.reason
    )
    return TipDisclosurePublic.model_validate(request)
