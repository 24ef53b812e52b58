"""The volunteer registry: public applications, management by officers, own profiles.

HTTP wiring only: the schemas, their examples and converters are in `schemas.py`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Response

from api.concurrency import IfMatch, expected_version, set_etag
from api.deps import Hasher, Uow, requires
from api.headers import ETAG, IDEMPOTENT_REPLAYED, LOCATION, versioned_responses, with_headers
from api.idempotency import REPLAYED_HEADER, IdempotencyKeyHeader, idempotency_key
from api.pagination import Paging
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.ratelimit import Budget, Limits, limited
from api.services import SettingsDep, Svc
from api.volunteers.schemas import (
    ActivationPublic,
    ActivationRequest,
    OwnVolunteerPublic,
    OwnVolunteerUpdate,
    PledgeCreate,
    RetireRequest,
    TrainingCreate,
    TrainingPublic,
    TrainingRecorded,
    TransitionRequest,
    VolunteerApplicationCreate,
    VolunteerApplicationPublic,
    VolunteerApprovalPublic,
    VolunteerExport,
    VolunteerPublic,
    VolunteerSummaryPage,
    VolunteerSummaryPublic,
    VolunteerUpdate,
)
from domain.policy import Action, Principal
from domain.volunteers import use_cases as uc
from domain.volunteers.errors import ActivationCodeInvalid
from domain.volunteers.model import VOLUNTEER_WORKFLOW, Transition, VolunteerStatus
from domain.volunteers.ports import VolunteerFilter

router = APIRouter(prefix="/api/v1/volunteers", tags=["volunteers"], route_class=PlannedRoute)
me_router = APIRouter(prefix="/api/v1/me/volunteer", tags=["volunteers"], route_class=PlannedRoute)

VolunteerId = Annotated[UUID, Path(description="The volunteer's id")]


_STATUS_CHANGE_RESPONSES = versioned_responses(200, 401, 403, 404, 409, 422)


# -- public ------------------------------------------------------------------------------


@router.post(
    "/applications",
    status_code=201,
    response_model=VolunteerApplicationPublic,
    responses=with_headers(201, LOCATION, IDEMPOTENT_REPLAYED) | problem_responses(401, 422, 429),
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
    answers 201 with the same id and `Idempotent-Replayed: true`. Every well-formed
    application is answered alike, whether or not its national ID is already registered
    (the form tells no one who is in the registry); officers see such an application
    flagged (`duplicate_of`).
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
    return VolunteerApplicationPublic.model_validate(receipt)


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
    return ActivationPublic.of(account)


# -- officers ----------------------------------------------------------------------------


@router.get("", response_model=VolunteerSummaryPage, responses=problem_responses(401, 403, 422))
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
) -> Response:
    """List volunteers, newest application first (provincial officers: own province only).

    Admins and central officers see every province, provincial officers their own (asking
    for another province gives an empty page). Items carry no national ID, contact details
    or date of birth. Filter by status, training and part of a name.
    """
    page = await uc.list_volunteers(
        uow,
        actor=caller,
        criteria=VolunteerFilter(
            province_code=province_code, status=status, trained=trained, name=q
        ),
        page=paging.by_time(),
    )
    return VolunteerSummaryPage.render(page, VolunteerSummaryPublic.values)


@router.get(
    "/{volunteer_id}",
    response_model=VolunteerPublic,
    responses=versioned_responses(200, 401, 403, 404, 422),
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
    set_etag(response, view.volunteer.version)
    return VolunteerPublic.of(view.volunteer, reveal_national_id=view.national_id_revealed)


@router.patch(
    "/{volunteer_id}",
    response_model=VolunteerPublic,
    responses=versioned_responses(200, 401, 403, 404, 409, 412, 422, 428),
)
async def volunteers_update(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_UPDATE)],
    volunteer_id: VolunteerId,
    body: VolunteerUpdate,
    if_match: IfMatch = None,
) -> VolunteerPublic:
    """Change a volunteer's data (If-Match required); moving province is a central action.

    Omitted fields stay, null clears an optional one. Send the ETag of your last read in
    If-Match: without it the answer is 428, with a stale one 412. Changing `province_code`
    is for admins and central officers (403 for provincial officers) and moves the
    volunteer's account along. Erased personal data cannot be changed (409).
    """
    volunteer = await uc.update_volunteer(
        uow,
        actor=caller,
        volunteer_id=volunteer_id,
        changes=body.changes(),
        expected_version=expected_version(if_match),
    )
    set_etag(response, volunteer.version)
    return VolunteerPublic.of(volunteer)


@router.post(
    "/{volunteer_id}/approve",
    response_model=VolunteerApprovalPublic,
    responses=with_headers(200, ETAG, IDEMPOTENT_REPLAYED)
    | problem_responses(401, 403, 404, 409, 422),
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
    set_etag(response, approval.volunteer.version)
    response.headers["Cache-Control"] = "no-store"
    return VolunteerApprovalPublic.of_approval(approval)


#: What each simple move does besides changing the status (its summary is the workflow's).
_MOVE_EFFECTS: dict[Transition, str] = {
    Transition.REJECT: "The applicant gets no account; their personal data can be erased "
    "later (`POST /api/v1/volunteers/{volunteer_id}/erase`).",
    Transition.SUSPEND: "The volunteer's account is deactivated at once: their access tokens "
    "are refused until they are reinstated.",
    Transition.REINSTATE: "The volunteer's account is reactivated: they can sign in again.",
}


def _add_status_change_route(name: Transition) -> None:
    """`POST /api/v1/volunteers/{volunteer_id}/<move>` for a move that takes only a reason.

    The operationId is `volunteers_<move>`; the summary and the statuses it starts from
    come from the workflow table (domain/volunteers/model.py).
    """
    move = VOLUNTEER_WORKFLOW[name]
    sources = " or ".join(f"`{status}`" for status in sorted(move.sources))

    # `caller` takes its dependency as a default value: an annotation naming a local of this
    # closure could not be resolved (the module's annotations are strings).
    rule = requires(move.action)

    async def change_status(
        response: Response,
        uow: Uow,
        volunteer_id: VolunteerId,
        body: TransitionRequest,
        caller: Principal | None = rule,
    ) -> VolunteerPublic:
        volunteer = await uc.change_status(
            uow, actor=caller, volunteer_id=volunteer_id, move=name, reason=body.reason
        )
        set_etag(response, volunteer.version)
        return VolunteerPublic.of(volunteer)

    change_status.__name__ = change_status.__qualname__ = f"volunteers_{move.name}"
    change_status.__doc__ = (
        f"{move.summary}\n\n"
        f"{_MOVE_EFFECTS[name]} Only from status {sources}: otherwise 409 "
        "(`invalid-transition`). The reason is kept in the status history, not in the audit "
        "log. Admins and central officers act in every province, provincial officers in "
        "their own."
    )
    router.post(
        f"/{{volunteer_id}}/{move.name}",
        response_model=VolunteerPublic,
        responses=_STATUS_CHANGE_RESPONSES,
    )(change_status)


for _move in uc.SIMPLE_MOVES:
    _add_status_change_route(_move)


@router.post(
    "/{volunteer_id}/retire", response_model=VolunteerPublic, responses=_STATUS_CHANGE_RESPONSES
)
async def volunteers_retire(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_RETIRE)],
    volunteer_id: VolunteerId,
    body: RetireRequest,
) -> VolunteerPublic:
    """Retire a volunteer; with `erase: true` their personal data is irreversibly anonymised.

    Only from status `active` or `suspended`: otherwise 409 (`invalid-transition`). The
    volunteer's account is deactivated. The reason is kept in the status history, not in
    the audit log.
    """
    volunteer = await uc.retire_volunteer(
        uow, actor=caller, volunteer_id=volunteer_id, reason=body.reason, erase=body.erase
    )
    set_etag(response, volunteer.version)
    return VolunteerPublic.of(volunteer)


@router.post(
    "/{volunteer_id}/erase", response_model=VolunteerPublic, responses=_STATUS_CHANGE_RESPONSES
)
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
    set_etag(response, volunteer.version)
    return VolunteerPublic.of(volunteer)


@router.post(
    "/{volunteer_id}/trainings",
    status_code=201,
    response_model=TrainingRecorded,
    responses=versioned_responses(201, 401, 403, 404, 409, 422),
)
async def volunteers_record_training(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_TRAINING_RECORD)],
    volunteer_id: VolunteerId,
    body: TrainingCreate,
) -> TrainingRecorded:
    """Record a training the volunteer attended (course, date, hours, certificate, organiser).

    For an applicant or an active volunteer (otherwise 409); a training dated in the future
    is a 422. The answer holds the training and the volunteer, whose new ETag it sends.
    """
    volunteer, training = await uc.record_training(
        uow,
        actor=caller,
        volunteer_id=volunteer_id,
        training=uc.TrainingInput(**body.model_dump()),
    )
    set_etag(response, volunteer.version)
    return TrainingRecorded(
        training=TrainingPublic.model_validate(training), volunteer=VolunteerPublic.of(volunteer)
    )


@router.post(
    "/{volunteer_id}/pledge",
    response_model=VolunteerPublic,
    responses=_STATUS_CHANGE_RESPONSES,
    openapi_extra={"requestBody": {"required": False}},
)
async def volunteers_pledge(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_PLEDGE)],
    volunteer_id: VolunteerId,
    body: Annotated[PledgeCreate, Body(default_factory=PledgeCreate)],
) -> VolunteerPublic:
    """Record the volunteer's public pledge (ประกาศเจตนารมณ์); once per volunteer.

    For an active volunteer, once: a second pledge, or another status, is a 409. The body
    may be left out; without `pledged_on` the pledge is dated today (Bangkok), and a date
    in the future is a 422.
    """
    volunteer = await uc.record_pledge(
        uow, actor=caller, volunteer_id=volunteer_id, pledged_on=body.pledged_on
    )
    set_etag(response, volunteer.version)
    return VolunteerPublic.of(volunteer)


# -- the volunteer's own profile ---------------------------------------------------------


@me_router.get(
    "", response_model=OwnVolunteerPublic, responses=versioned_responses(200, 401, 403, 404)
)
async def me_volunteer_get(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_SELF_READ)],
) -> OwnVolunteerPublic:
    """Read my own volunteer profile (national ID masked); sends an ETag.

    For signed-in volunteers; an account without a volunteer profile gets a 404.
    """
    volunteer = await uc.get_own_profile(uow, actor=caller)
    set_etag(response, volunteer.version)
    return OwnVolunteerPublic.model_validate(volunteer)


@me_router.patch(
    "",
    response_model=OwnVolunteerPublic,
    responses=versioned_responses(200, 401, 403, 404, 412, 422, 428),
)
async def me_volunteer_update(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_SELF_UPDATE)],
    body: OwnVolunteerUpdate,
    if_match: IfMatch = None,
) -> OwnVolunteerPublic:
    """Update my own contact details, district or occupation (If-Match required).

    Volunteers change their English name, phone, email, district and occupation; other
    fields are a 422. Send the ETag of your last read in If-Match: without it the answer
    is 428, with a stale one 412.
    """
    volunteer = await uc.update_own_profile(
        uow, actor=caller, changes=body.changes(), expected_version=expected_version(if_match)
    )
    set_etag(response, volunteer.version)
    return OwnVolunteerPublic.model_validate(volunteer)


@me_router.get(
    "/export", response_model=VolunteerExport, responses=problem_responses(401, 403, 404)
)
async def me_volunteer_export(
    response: Response,
    uow: Uow,
    caller: Annotated[Principal | None, requires(Action.VOLUNTEER_SELF_EXPORT)],
) -> VolunteerExport:
    """Export everything held about me as a volunteer, as JSON (PDPA right of access; audited).

    For signed-in volunteers: the profile with the full national ID, trainings, status
    history and the account. Each export is recorded in the audit log; the answer is not
    to be cached (`Cache-Control: no-store`).
    """
    export = await uc.export_own_data(uow, actor=caller)
    response.headers["Cache-Control"] = "no-store"
    return VolunteerExport.of(export)
