"""Investigations: cases opened on tips, their workflow, team, notes, evidence, timeline.

HTTP wiring only: the schemas, their examples and converters are in `schemas.py`. Every
answer that carries an investigation sends its ETag; PATCH and every status move need it
back in If-Match (missing: 428, stale: 412).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response

from api.concurrency import IfMatch, expected_version, set_etag
from api.deps import Uow, requires
from api.headers import ETAG, LOCATION, versioned_responses, with_headers
from api.investigations.schemas import (
    InvestigationAssignmentCreate,
    InvestigationConclude,
    InvestigationCreate,
    InvestigationEvidenceCreate,
    InvestigationNoteCreate,
    InvestigationPublic,
    InvestigationReferralCreate,
    InvestigationSummaryPage,
    InvestigationSummaryPublic,
    InvestigationTimelineEntryPublic,
    InvestigationTimelinePage,
    InvestigationTransition,
    InvestigationUpdate,
    ReferralPublic,
    ReferralSummaryPage,
    ReferralSummaryPublic,
    ReferralUpdateCreate,
)
from api.pagination import Paging
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.services import ClockDep
from domain.investigations import use_cases as uc
from domain.investigations.model import (
    INVESTIGATION_WORKFLOW,
    InvestigationStatus,
    Priority,
    Transition,
)
from domain.investigations.ports import InvestigationQuery, ReferralQuery
from domain.investigations.referrals import ReferralStatus
from domain.investigations.use_cases import InvestigationRecord
from domain.policy import Action, Principal

router = APIRouter(
    prefix="/api/v1/investigations", tags=["investigations"], route_class=PlannedRoute
)

InvestigationId = Annotated[UUID, Path(description="The investigation's id")]
Opener = Annotated[Principal | None, requires(Action.INVESTIGATION_CREATE)]
Reader = Annotated[Principal | None, requires(Action.INVESTIGATION_READ)]
Editor = Annotated[Principal | None, requires(Action.INVESTIGATION_UPDATE)]
Assigner = Annotated[Principal | None, requires(Action.INVESTIGATION_ASSIGN)]
NoteTaker = Annotated[Principal | None, requires(Action.INVESTIGATION_NOTE)]
EvidenceKeeper = Annotated[Principal | None, requires(Action.INVESTIGATION_EVIDENCE)]


_CONDITIONAL = versioned_responses(200, 401, 403, 404, 409, 412, 422, 428)


def _answer(
    response: Response, record: InvestigationRecord, clock: ClockDep
) -> InvestigationPublic:
    set_etag(response, record.investigation.version)
    return InvestigationPublic.of(record, clock.now())


@router.post(
    "",
    status_code=201,
    response_model=InvestigationPublic,
    responses=with_headers(201, LOCATION, ETAG) | problem_responses(401, 403, 404, 409, 422),
)
async def investigations_create(
    clock: ClockDep, response: Response, uow: Uow, caller: Opener, body: InvestigationCreate
) -> InvestigationPublic:
    """Open an investigation on one or more tips; they move to `investigating`.

    The tips may come from several provinces; each must be in review (409 otherwise) and
    one the caller may triage (404 otherwise): a provincial office opens investigations on
    its own province's tips, led by its own province. A tip already in an open
    investigation is a 409. The reference is `INV-<Buddhist Era year>-<sequence>`,
    gap-free per year. Reporters see that their tip is under investigation, nothing more.
    """
    record = await uc.open_investigation(uow, actor=caller, opening=body.opening())
    response.headers["Location"] = f"{router.prefix}/{record.investigation.id}"
    return _answer(response, record, clock)


@router.get("", response_model=InvestigationSummaryPage, responses=problem_responses(401, 403, 422))
async def investigations_list(
    clock: ClockDep,
    uow: Uow,
    caller: Reader,
    paging: Paging,
    status: InvestigationStatus | None = None,
    province_code: Annotated[
        str | None, Query(max_length=8, description="The lead province", examples=["40"])
    ] = None,
    assignee_id: Annotated[
        UUID | None, Query(description="Only investigations this account is assigned to")
    ] = None,
    priority: Priority | None = None,
    overdue: Annotated[
        bool | None,
        Query(description="true: past the due date and not concluded; false: the others"),
    ] = None,
    agency_code: Annotated[
        str | None, Query(max_length=16, description="Referred to this agency", examples=["PACC"])
    ] = None,
) -> InvestigationSummaryPage:
    """List the investigations the caller may see (summaries), newest first.

    Central officers and admins see every investigation; provincial officers those led
    by their province, except any holding a tip that accuses their own office;
    investigators those they are assigned to. Summaries carry no title or findings, and
    listing is not audited. Filters combine; `agency_code` lists those referred to it.
    """
    page = await uc.list_investigations(
        uow,
        actor=caller,
        query=InvestigationQuery(
            status=status,
            province_code=province_code,
            assignee_id=assignee_id,
            priority=priority,
            overdue=overdue,
            agency_code=agency_code,
        ),
        page=paging.by_time(),
    )
    now = clock.now()
    return InvestigationSummaryPage.of(page, lambda item: InvestigationSummaryPublic.of(item, now))


@router.get(
    "/{investigation_id}",
    response_model=InvestigationPublic,
    responses=versioned_responses(200, 401, 403, 404, 422),
)
async def investigations_get(
    clock: ClockDep,
    response: Response,
    uow: Uow,
    caller: Reader,
    investigation_id: InvestigationId,
) -> InvestigationPublic:
    """Read one investigation in full: title, findings, team, linked tips; sends an ETag.

    Every read is recorded in the audit log. An investigation the caller may not see is a
    404, exactly like one that does not exist.
    """
    record = await uc.get_investigation(uow, actor=caller, investigation_id=investigation_id)
    return _answer(response, record, clock)


@router.patch("/{investigation_id}", response_model=InvestigationPublic, responses=_CONDITIONAL)
async def investigations_update(
    clock: ClockDep,
    response: Response,
    uow: Uow,
    caller: Editor,
    investigation_id: InvestigationId,
    body: InvestigationUpdate,
    if_match: IfMatch = None,
) -> InvestigationPublic:
    """Change the title, priority, due date or findings (If-Match required).

    Omitted fields stay, null clears `due_on` or `findings`. Send the ETag of your last
    read in If-Match: without it the answer is 428, with a stale one 412 (someone else
    changed it: read it again). A concluded investigation is a 409 until reopened.
    """
    record = await uc.update_investigation(
        uow,
        actor=caller,
        investigation_id=investigation_id,
        changes=body.changes(),
        expected_version=expected_version(if_match),
    )
    return _answer(response, record, clock)


# -- the workflow (INVESTIGATION_WORKFLOW in domain/investigations/model.py) -------------


def _add_status_change_route(name: Transition) -> None:
    """`POST /api/v1/investigations/{investigation_id}/<move>` for a move that takes only a
    reason; the operationId is `investigations_<move>`, the summary the workflow's."""
    move = INVESTIGATION_WORKFLOW[name]
    sources = " or ".join(f"`{status}`" for status in sorted(move.sources))
    # `caller` takes its dependency as a default value: an annotation naming a local of this
    # closure could not be resolved (the module's annotations are strings).
    rule = requires(move.action)

    async def change_status(
        clock: ClockDep,
        response: Response,
        uow: Uow,
        investigation_id: InvestigationId,
        body: InvestigationTransition,
        if_match: IfMatch = None,
        caller: Principal | None = rule,
    ) -> InvestigationPublic:
        record = await uc.change_status(
            uow,
            actor=caller,
            investigation_id=investigation_id,
            move=name,
            reason=body.reason,
            expected_version=expected_version(if_match),
        )
        return _answer(response, record, clock)

    change_status.__name__ = change_status.__qualname__ = f"investigations_{move.name}"
    change_status.__doc__ = (
        f"{move.summary}\n\n"
        f"Only from status {sources}: otherwise 409 (`invalid-transition`). Needs If-Match "
        "(missing: 428, stale: 412). The reason is kept on the timeline, not in the audit log."
        + (
            " The tips stay closed (their reporters were told the outcome)."
            if name is Transition.REOPEN
            else ""
        )
    )
    router.post(
        f"/{{investigation_id}}/{move.name}",
        response_model=InvestigationPublic,
        responses=_CONDITIONAL,
    )(change_status)


for _move in uc.SIMPLE_MOVES:
    _add_status_change_route(_move)


@router.post(
    "/{investigation_id}/conclude", response_model=InvestigationPublic, responses=_CONDITIONAL
)
async def investigations_conclude(
    clock: ClockDep,
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.INVESTIGATION_CONCLUDE)],
    investigation_id: InvestigationId,
    body: InvestigationConclude,
    if_match: IfMatch = None,
) -> InvestigationPublic:
    """Conclude an investigation with an outcome; its tips close and their reporters hear.

    From `in_progress` or `on_hold` (otherwise 409), with If-Match (missing: 428, stale:
    412). Every linked tip still open is closed with the matching outcome
    (`insufficient_evidence` closes tips as `insufficient_information`), and its reporter
    gets `message` or the outcome's standard text, which counts as feedback on the tip.
    Reporters never see who investigated, the findings or the reason.
    """
    record = await uc.conclude_investigation(
        uow,
        actor=caller,
        investigation_id=investigation_id,
        outcome=body.outcome,
        reason=body.reason,
        findings=body.findings,
        message=body.message,
        damage_estimated_thb=body.damage_estimated_thb,
        amount_recovered_thb=body.amount_recovered_thb,
        expected_version=expected_version(if_match),
    )
    return _answer(response, record, clock)


# -- the team ----------------------------------------------------------------------------


@router.post(
    "/{investigation_id}/assignments",
    response_model=InvestigationPublic,
    responses=versioned_responses(200, 401, 403, 404, 409, 422),
)
async def investigations_assign(
    clock: ClockDep,
    response: Response,
    uow: Uow,
    caller: Assigner,
    investigation_id: InvestigationId,
    body: InvestigationAssignmentCreate,
) -> InvestigationPublic:
    """Assign an investigator or officer to an investigation, as lead or member.

    The account must be an active investigator, central officer, or provincial officer of
    the lead province (422 otherwise). A new lead makes the previous one a member; the
    same assignment twice is a 409. Assigned investigators see the investigation and its
    tips, and may write to the tips' reporters.
    """
    record = await uc.assign(
        uow,
        actor=caller,
        investigation_id=investigation_id,
        account_id=body.account_id,
        role=body.role,
    )
    return _answer(response, record, clock)


@router.delete(
    "/{investigation_id}/assignments/{account_id}",
    response_model=InvestigationPublic,
    responses=versioned_responses(200, 401, 403, 404, 422),
)
async def investigations_unassign(
    clock: ClockDep,
    response: Response,
    uow: Uow,
    caller: Assigner,
    investigation_id: InvestigationId,
    account_id: Annotated[UUID, Path(description="The account to take off the investigation")],
) -> InvestigationPublic:
    """Take an account off an investigation; it no longer sees the case or its tips.

    An account that is not assigned is a 422. The timeline keeps the assignment's history.
    """
    record = await uc.unassign(
        uow, actor=caller, investigation_id=investigation_id, account_id=account_id
    )
    return _answer(response, record, clock)


# -- notes, evidence and the timeline -----------------------------------------------------


@router.post(
    "/{investigation_id}/notes",
    status_code=201,
    response_model=InvestigationTimelineEntryPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def investigations_add_note(
    uow: Uow, caller: NoteTaker, investigation_id: InvestigationId, body: InvestigationNoteCreate
) -> InvestigationTimelineEntryPublic:
    """Add an internal note to an investigation's timeline.

    Notes are confidential (sealed at rest, never in the audit log) and never shown to
    reporters. Adding one does not change the investigation's ETag.
    """
    entry = await uc.add_note(uow, actor=caller, investigation_id=investigation_id, body=body.body)
    return InvestigationTimelineEntryPublic.of(entry)


@router.post(
    "/{investigation_id}/evidence",
    status_code=201,
    response_model=InvestigationTimelineEntryPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def investigations_add_evidence(
    uow: Uow,
    caller: EvidenceKeeper,
    investigation_id: InvestigationId,
    body: InvestigationEvidenceCreate,
) -> InvestigationTimelineEntryPublic:
    """Log an evidence item: what, from where, where it is kept, who handled it.

    A chain-of-custody record on the timeline (files come later): append-only, sealed at
    rest, never in the audit log. Adding one does not change the investigation's ETag.
    """
    entry = await uc.add_evidence(
        uow, actor=caller, investigation_id=investigation_id, evidence=body.evidence()
    )
    return InvestigationTimelineEntryPublic.of(entry)


@router.get(
    "/{investigation_id}/timeline",
    response_model=InvestigationTimelinePage,
    responses=problem_responses(401, 403, 404, 422),
)
async def investigations_timeline(
    uow: Uow, caller: Reader, investigation_id: InvestigationId, paging: Paging
) -> InvestigationTimelinePage:
    """The investigation's timeline, oldest first: status changes, team, notes, evidence.

    Keyset pages (`limit`, `cursor`). Reasons, notes and evidence are confidential; every
    read is recorded in the audit log.
    """
    page = await uc.timeline(
        uow, actor=caller, investigation_id=investigation_id, page=paging.by_seq()
    )
    return InvestigationTimelinePage.of(page, InvestigationTimelineEntryPublic.of)


# -- referrals to partner agencies -------------------------------------------------------


@router.post(
    "/{investigation_id}/referrals",
    status_code=201,
    response_model=ReferralPublic,
    responses=with_headers(201, LOCATION) | problem_responses(401, 403, 404, 409, 422),
)
async def investigations_refer(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.INVESTIGATION_REFER)],
    investigation_id: InvestigationId,
    body: InvestigationReferralCreate,
) -> ReferralPublic:
    """Refer an investigation concluded as `referred` to a partner agency, with a summary.

    The agency's partner accounts see the referral (`GET /api/v1/referrals`): the summary
    written for them and the investigation's reference, never the tips or their
    reporters. An investigation not concluded as `referred`, or one already referred to
    an agency that has not declined it, is a 409; a declined referral can be referred
    again, elsewhere. The referral and every update are steps of the timeline.
    """
    record = await uc.refer_investigation(
        uow,
        actor=caller,
        investigation_id=investigation_id,
        agency_code=body.agency_code,
        summary=body.summary,
    )
    response.headers["Location"] = f"{referrals_router.prefix}/{record.referral.id}"
    return ReferralPublic.of(record)


referrals_router = APIRouter(
    prefix="/api/v1/referrals", tags=["referrals"], route_class=PlannedRoute
)
ReferralId = Annotated[UUID, Path(description="The referral's id")]


@referrals_router.get(
    "", response_model=ReferralSummaryPage, responses=problem_responses(401, 403, 422)
)
async def referrals_list(
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.REFERRAL_READ)],
    paging: Paging,
    status: ReferralStatus | None = None,
    agency_code: Annotated[str | None, Query(max_length=16, examples=["PACC"])] = None,
) -> ReferralSummaryPage:
    """List referrals, newest first: a partner account sees its own agency's only.

    Central officers and admins see every agency's (filter with `agency_code`). Items
    carry no summary; reading one referral is audited.
    """
    page = await uc.list_referrals(
        uow,
        actor=caller,
        query=ReferralQuery(status=status, agency_code=agency_code),
        page=paging.by_time(),
    )
    return ReferralSummaryPage.of(page, ReferralSummaryPublic.of)


@referrals_router.get(
    "/{referral_id}", response_model=ReferralPublic, responses=problem_responses(401, 403, 404, 422)
)
async def referrals_get(
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.REFERRAL_READ)],
    referral_id: ReferralId,
) -> ReferralPublic:
    """Read one referral: the summary written for the agency and its updates (audited).

    A referral to another agency is a 404 for a partner account, exactly like one that
    does not exist.
    """
    record = await uc.get_referral(uow, actor=caller, referral_id=referral_id)
    return ReferralPublic.of(record)


@referrals_router.post(
    "/{referral_id}/updates",
    status_code=201,
    response_model=ReferralPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def referrals_update(
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.REFERRAL_UPDATE)],
    referral_id: ReferralId,
    body: ReferralUpdateCreate,
) -> ReferralPublic:
    """Report the referral's status back (partner accounts of its agency), with a note.

    `received`, then `accepted` or `declined`; then `in_progress`, `prosecuted`, `closed`.
    An update the current status does not lead to is a 409 (`invalid-transition`). The
    investigators see each update on the investigation's timeline.
    """
    record = await uc.report_on_referral(
        uow, actor=caller, referral_id=referral_id, status=body.status, note=body.note
    )
    return ReferralPublic.of(record)
