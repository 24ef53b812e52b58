"""Use cases of the tips feature: one transaction each, audited, committed once.

Record-level access: a tip the caller may not see is reported as not found (404), so
nobody learns that it exists (see domain/tips/access.py). Audit entries carry ids,
statuses, outcomes and channels only: never tip content, names, contact data, reasons
or receipts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from domain import policy
from domain.audit.model import ANONYMOUS, REPORTER, AuditAction, AuditActor, DetailValue
from domain.errors import Forbidden, InvalidInput
from domain.idempotency import IdempotencyKey, Outcome
from domain.pagination import Cursor, Page, PageRequest, paginate
from domain.policy import Action, Principal, RecordScope, Role, Scope
from domain.provinces.model import normalize_province_code
from domain.tips.access import TipVisibility, can_see, is_official, visibility
from domain.tips.deadlines import DeadlineRules, buddhist_year, format_reference
from domain.tips.disclosures import (
    DISCLOSURE_WORKFLOW,
    Decision,
    DisclosureRequest,
    DisclosureStatus,
    DisclosureSummary,
)
from domain.tips.errors import (
    ChannelNotAllowed,
    DisclosureNotFound,
    InternalNoteNotAllowed,
    NothingToDisclose,
    ReceiptNotFound,
    RecusedOfficeCannotRecord,
    TipNotFound,
    UnknownProvince,
)
from domain.tips.model import (
    RECORDED_CHANNELS,
    TIP_WORKFLOW,
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
    TipLink,
    TipMessage,
    TipOutcome,
    TipStatus,
    TipSummary,
)
from domain.tips.ports import TipQuery, TipsUnitOfWork
from domain.tips.receipts import new_receipt, normalize_receipt

MESSAGE_MAX = 5_000
#: Message lists hold the newest this many (then `truncated`): a receipt holder could
#: otherwise grow every later follow-up without bound.
MESSAGE_LIST_MAX = 200
ENTITY = "tip"


@dataclass(frozen=True, slots=True)
class TipSubmission:
    province_code: str
    category: TipCategory
    description: str
    channel: TipChannel = TipChannel.WEB
    accused: Accused | None = None
    incident: Incident = field(default_factory=Incident)
    location: str | None = None
    amount_thb: Decimal | None = None
    contact: Contact | None = None


@dataclass(frozen=True, slots=True)
class SubmittedTip:
    """What the submitter gets back (once; a retry with the same key gets the same)."""

    id: UUID
    reference: str
    status: TipStatus
    ack_due_at: datetime
    feedback_due_at: datetime
    receipt: str | None = None
    replayed: bool = False

    def outcome(self) -> Outcome:
        outcome = {
            "id": str(self.id),
            "reference": self.reference,
            "status": self.status.value,
            "ack_due_at": self.ack_due_at.isoformat(),
            "feedback_due_at": self.feedback_due_at.isoformat(),
        }
        if self.receipt is not None:
            outcome["receipt"] = self.receipt
        return outcome

    @classmethod
    def replay(cls, outcome: Outcome) -> SubmittedTip:
        return cls(
            id=UUID(outcome["id"]),
            reference=outcome["reference"],
            status=TipStatus(outcome["status"]),
            ack_due_at=datetime.fromisoformat(outcome["ack_due_at"]),
            feedback_due_at=datetime.fromisoformat(outcome["feedback_due_at"]),
            receipt=outcome.get("receipt"),
            replayed=True,
        )


@dataclass(frozen=True, slots=True)
class TipRecord:
    """A tip as read by one caller. `reporter_view`: the caller is its reporter, who sees
    status, deadlines and status changes only (no reasons, links or internal data)."""

    tip: Tip
    history: list[TipEvent]
    links: list[LinkedTip]
    reporter_view: bool
    #: anonymous, volunteer or recorded: what kind of reporter, never who.
    reporter_kind: ReporterKind = "anonymous"
    #: Officials: the reporter's identity is in `tip`, disclosed to this caller (approved
    #: request). The reporter: their identity was disclosed to the investigation.
    identity_disclosed: bool = False


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What a reporter sees through the receipt."""

    tip: Tip
    history: list[TipEvent]
    messages: list[TipMessage]
    #: Older messages exist beyond the newest MESSAGE_LIST_MAX shown.
    messages_truncated: bool = False
    #: The reporter's identity was disclosed to the people handling it (never to whom).
    identity_disclosed: bool = False


@dataclass(frozen=True, slots=True)
class MessageList:
    """The newest MESSAGE_LIST_MAX messages of a tip, oldest first."""

    items: list[TipMessage]
    truncated: bool


def _audit_province(tip: Tip) -> str | None:
    # An entry filed under the recused province could show the accused office that a
    # tip about it exists; file it nowhere until the tip is assigned elsewhere.
    return None if tip.province_code == tip.recused_province_code else tip.province_code


def _actor(principal: Principal | None) -> AuditActor:
    return AuditActor.of(principal)


def _audit_actor(principal: Principal | None, tip: Tip) -> AuditActor:
    """Officials are audited by account; a tip's own reporter only as `reporter`.

    The repository seals the reporter's identity so nobody can list a volunteer's tips;
    an audit entry with their account id next to the tip's id would undo that.
    """
    if (
        principal is not None
        and not is_official(principal)
        and tip.reporter_account_id is not None
        and tip.reporter_account_id == principal.account_id
    ):
        return REPORTER
    return _actor(principal)


async def _assigned(
    uow: TipsUnitOfWork, actor: Principal | None, action: Action
) -> frozenset[UUID]:
    """For an investigator: the tips of the investigations assigned to them."""
    if (
        actor is None
        or actor.role is not Role.INVESTIGATOR
        or policy.scope_for(actor, action) is not Scope.OWN
    ):
        return frozenset()
    return await uow.assigned_tips.tip_ids_assigned_to(actor.account_id)


async def _view(uow: TipsUnitOfWork, actor: Principal | None, action: Action) -> TipVisibility:
    return visibility(actor, action, assigned=await _assigned(uow, actor, action))


async def _visible_tip(
    uow: TipsUnitOfWork,
    actor: Principal | None,
    action: Action,
    tip_id: UUID,
    *,
    for_update: bool = False,
) -> Tip:
    policy.require(actor, action)
    tip = await uow.tips.get(tip_id, for_update=for_update)
    if tip is None or not can_see(actor, action, tip, assigned=await _assigned(uow, actor, action)):
        raise TipNotFound(tip_id)
    return tip


ReporterKind = Literal["anonymous", "volunteer", "recorded"]


def reporter_kind(tip: Tip) -> ReporterKind:
    """What kind of reporter, never who: a volunteer, an official recording a caller, or
    anonymous (possibly with contact details)."""
    if tip.reporter_account_id is not None:
        return "volunteer"
    return "recorded" if tip.recorded_by is not None else "anonymous"


def without_identity(tip: Tip) -> Tip:
    """The tip without who reported it (the identity vault: domain/tips/disclosures.py)."""
    return replace(tip, contact=None, reporter_account_id=None, recorded_by=None, new_events=[])


# -- intake ----------------------------------------------------------------------------


async def submit_tip(
    uow: TipsUnitOfWork,
    *,
    actor: Principal | None,
    submission: TipSubmission,
    rules: DeadlineRules,
    idempotency: IdempotencyKey | None = None,
) -> SubmittedTip:
    """Receive a tip, anonymous (actor None) or from a signed-in reporter or official.

    Anonymous tips and tips recorded by officials get a receipt for follow-up (the
    reporter has no account); volunteers follow up through their account.
    """
    policy.require(actor, Action.TIP_SUBMIT)
    province_code = normalize_province_code(submission.province_code)
    if province_code is None or not await uow.provinces.exists(province_code):
        raise UnknownProvince(submission.province_code)
    official = is_official(actor)
    if submission.channel in RECORDED_CHANNELS and not official:
        raise ChannelNotAllowed(submission.channel)
    if actor is not None and not policy.can_access(
        actor,
        Action.TIP_SUBMIT,
        RecordScope(province_code=province_code, owner_id=actor.account_id),
    ):
        raise Forbidden("Provincial officers record tips for their own province only.")
    if (
        official
        and actor is not None
        and actor.role is Role.PROVINCIAL_OFFICER
        and submission.accused is not None
        and submission.accused.is_provincial_labour_office
        and province_code == actor.province_code
    ):
        # The office would hold the receipt of a tip recused from it and could follow it.
        raise RecusedOfficeCannotRecord()

    now = uow.clock.now()
    if idempotency is not None:
        stored = await uow.idempotency.claim(idempotency, now=now)
        if stored is not None:
            return SubmittedTip.replay(stored)

    sequence = await uow.tips.next_sequence(buddhist_year(now))
    reporter = actor.account_id if actor is not None and not official else None
    tip = Tip.new(
        reference=format_reference(buddhist_year(now), sequence),
        province_code=province_code,
        category=submission.category,
        channel=submission.channel,
        description=submission.description,
        received_at=now,
        rules=rules,
        accused=submission.accused,
        incident=submission.incident,
        location=submission.location,
        amount_thb=submission.amount_thb,
        contact=submission.contact.checked() if submission.contact else None,
        reporter_account_id=reporter,
        recorded_by=actor.account_id if official and actor is not None else None,
    )
    receipt = new_receipt() if reporter is None else None
    await uow.tips.add(tip, receipt=normalize_receipt(receipt) if receipt else None)
    await uow.audit.record(
        _audit_actor(actor, tip),
        AuditAction.TIP_SUBMITTED,
        entity_type=ENTITY,
        entity_id=tip.id,
        province_code=_audit_province(tip),
        details={
            "status": tip.status.value,
            "category": tip.category.value,
            "channel": tip.channel.value,
            "recused": tip.recused_province_code is not None,
            "anonymous": actor is None,
        },
    )
    result = SubmittedTip(
        id=tip.id,
        reference=tip.reference,
        status=tip.status,
        ack_due_at=tip.ack_due_at,
        feedback_due_at=tip.feedback_due_at,
        receipt=receipt,
    )
    if idempotency is not None:
        await uow.idempotency.complete(idempotency, result.outcome(), now=now)
    await uow.commit()
    return result


# -- reading -----------------------------------------------------------------------------


async def get_tip(uow: TipsUnitOfWork, *, actor: Principal | None, tip_id: UUID) -> TipRecord:
    """The full record of one tip (decrypted); every read is audited as a view."""
    tip = await _visible_tip(uow, actor, Action.TIP_READ, tip_id)
    official = is_official(actor)
    history = await uow.tips.history(tip.id)
    links: list[LinkedTip] = []
    disclosure: DisclosureRequest | None = None
    if official and actor is not None:
        links = await uow.tips.links(tip.id, await _view(uow, actor, Action.TIP_READ))
        disclosure = await uow.disclosures.approved_for(tip.id, actor.account_id)
    fields = ["record"] if official else ["status"]
    if disclosure is not None:
        fields.append("reporter_identity")
    await uow.audit.viewed(
        _audit_actor(actor, tip),
        ENTITY,
        tip.id,
        province_code=_audit_province(tip),
        fields=fields,
    )
    if disclosure is not None:
        await uow.audit.record(
            _actor(actor),
            AuditAction.TIP_IDENTITY_DISCLOSED,
            entity_type=ENTITY,
            entity_id=tip.id,
            province_code=_audit_province(tip),
            details={"disclosure_id": str(disclosure.id)},
        )
    disclosed = disclosure is not None if official else await uow.disclosures.any_approved(tip.id)
    await uow.commit()
    return TipRecord(
        tip=tip if disclosure is not None else without_identity(tip),
        history=history,
        links=links,
        reporter_view=not official,
        reporter_kind=reporter_kind(tip),
        identity_disclosed=disclosed,
    )


async def list_tips(
    uow: TipsUnitOfWork, *, actor: Principal | None, query: TipQuery, page: PageRequest[Cursor]
) -> Page[TipSummary]:
    """Summaries of the tips the caller may see, newest first, keyset-paginated."""
    policy.require(actor, Action.TIP_READ)
    query.check()
    if query.province_code is not None:
        code = normalize_province_code(query.province_code)
        if code is None:
            raise InvalidInput(f"'{query.province_code[:8]}' is not a province code.")
        query = replace(query, province_code=code)
    view = await _view(uow, actor, Action.TIP_READ)
    if view.nothing:
        return Page(items=[])
    rows = await uow.tips.list(query, view, page=page, now=uow.clock.now())
    return paginate(rows, page, key=lambda tip: Cursor(at=tip.received_at, id=tip.id))


# -- the workflow ------------------------------------------------------------------------


#: What a move does to the tip at a moment, by whom: one of the entity's move methods.
Apply = Callable[[Tip, Principal, datetime], TipEvent]


def _principal(actor: Principal | None) -> Principal:
    if actor is None:  # pragma: no cover - require() refuses anonymous callers first
        raise Forbidden("Officials only.")
    return actor


async def _transition(
    uow: TipsUnitOfWork,
    *,
    actor: Principal | None,
    tip_id: UUID,
    move: str,
    apply: Apply,
    message: str | None = None,
) -> Tip:
    """Every move of TIP_WORKFLOW: the caller may act (the move's policy action) on a tip
    they can see, the entity applies the move, an optional message tells the reporter,
    and the move's audit action is recorded (statuses and the outcome, never the reason)."""
    step = TIP_WORKFLOW[move]
    tip = await _visible_tip(uow, actor, step.action, tip_id, for_update=True)
    who = _principal(actor)
    event = apply(tip, who, uow.clock.now())
    notified = await _notify(uow, who, tip, message)
    await uow.tips.save(tip)
    await _audit_move(uow, who, tip, event, move=move, notified=notified)
    await uow.commit()
    return tip


async def _notify(uow: TipsUnitOfWork, who: Principal, tip: Tip, message: str | None) -> bool:
    """Post the optional message of a move to the reporter; whether one was posted."""
    if message is None or not message.strip():
        return False
    await _add_official_message(uow, actor=who, tip=tip, body=message, internal=False)
    return True


async def _audit_move(
    uow: TipsUnitOfWork,
    who: Principal,
    tip: Tip,
    event: TipEvent,
    *,
    move: str,
    notified: bool,
    extra: dict[str, DetailValue] | None = None,
) -> None:
    """The audit entry of a move: statuses and the outcome, never the reason."""
    details: dict[str, DetailValue] = {
        "from_status": event.from_status.value,
        "to_status": event.to_status.value,
        "event_id": str(event.id),
        "notified": notified,
        **(extra or {}),
    }
    if event.outcome is not None:
        details["outcome"] = event.outcome.value
    await uow.audit.record(
        _actor(who),
        TIP_WORKFLOW[move].audit_action,
        entity_type=ENTITY,
        entity_id=tip.id,
        province_code=_audit_province(tip),
        details=details,
    )


async def acknowledge_tip(
    uow: TipsUnitOfWork,
    *,
    actor: Principal | None,
    tip_id: UUID,
    rules: DeadlineRules,
    reason: str | None = None,
    message: str | None = None,
) -> Tip:
    """received -> acknowledged; starts the feedback deadline (a late acknowledgement
    stays a breach of the acknowledgement deadline)."""

    def apply(tip: Tip, who: Principal, at: datetime) -> TipEvent:
        return tip.acknowledge(actor=who, at=at, rules=rules, reason=reason)

    return await _transition(
        uow, actor=actor, tip_id=tip_id, move="acknowledge", apply=apply, message=message
    )


async def start_review(
    uow: TipsUnitOfWork,
    *,
    actor: Principal | None,
    tip_id: UUID,
    reason: str | None = None,
    message: str | None = None,
) -> Tip:
    """acknowledged -> in_review."""

    def apply(tip: Tip, who: Principal, at: datetime) -> TipEvent:
        return tip.start_review(actor=who, at=at, reason=reason)

    return await _transition(
        uow, actor=actor, tip_id=tip_id, move="review", apply=apply, message=message
    )


async def close_tip(
    uow: TipsUnitOfWork,
    *,
    actor: Principal | None,
    tip_id: UUID,
    outcome: TipOutcome,
    reason: str,
    message: str | None = None,
) -> Tip:
    """in_review (or investigating) -> closed with an outcome and a reason; the reporter
    sees the outcome (the closure counts as feedback)."""

    def apply(tip: Tip, who: Principal, at: datetime) -> TipEvent:
        return tip.close(actor=who, at=at, outcome=outcome, reason=reason)

    return await _transition(
        uow, actor=actor, tip_id=tip_id, move="close", apply=apply, message=message
    )


async def reassign_tip(
    uow: TipsUnitOfWork, *, actor: Principal | None, tip_id: UUID, province_code: str
) -> Tip:
    """Move a tip to another province (central officers); never to a recused province."""
    tip = await _visible_tip(uow, actor, Action.TIP_REASSIGN, tip_id, for_update=True)
    code = normalize_province_code(province_code)
    if code is None or not await uow.provinces.exists(code):
        raise UnknownProvince(province_code)
    previous = tip.reassign(code)
    await uow.tips.save(tip)
    await uow.audit.record(
        _actor(actor),
        AuditAction.TIP_REASSIGNED,
        entity_type=ENTITY,
        entity_id=tip.id,
        province_code=_audit_province(tip),
        details={"from_province": previous, "to_province": code},
    )
    await uow.commit()
    return tip


# -- driven by the investigations feature ------------------------------------------------
# Inside the investigation's transaction: no commit here, the investigation's use case
# commits once. The lock order holds (see domain/accounts/use_cases.py): every tip row is
# locked first, in id order (two transactions never wait on each other in a circle), then
# the tips are moved and saved, and audited last.


async def _lock_in_order(
    uow: TipsUnitOfWork, actor: Principal, tip_ids: list[UUID], action: Action | None
) -> list[Tip]:
    """The tips, row-locked in id order; with `action`, each must be visible to the actor
    for it (404 otherwise)."""
    tips: list[Tip] = []
    for tip_id in sorted(set(tip_ids)):
        if action is not None:
            tips.append(await _visible_tip(uow, actor, action, tip_id, for_update=True))
            continue
        tip = await uow.tips.get(tip_id, for_update=True)
        if tip is None:
            raise TipNotFound(tip_id)
        tips.append(tip)
    return tips


async def start_investigation(
    uow: TipsUnitOfWork,
    *,
    actor: Principal,
    tip_ids: list[UUID],
    investigation_id: UUID,
    reason: str | None = None,
) -> list[Tip]:
    """in_review -> investigating for each tip an investigation is opened on (no tip
    endpoint). The opener must be able to triage every tip (404 for one they cannot see,
    409 for one not in review). No commit: the investigation's use case commits."""
    step = TIP_WORKFLOW["investigate"]
    tips = await _lock_in_order(uow, actor, tip_ids, step.action)
    at = uow.clock.now()
    events = [tip.start_investigation(actor=actor, at=at, reason=reason) for tip in tips]
    for tip in tips:
        await uow.tips.save(tip)
    for tip, event in zip(tips, events, strict=True):
        extra: dict[str, DetailValue] = {"investigation_id": str(investigation_id)}
        await _audit_move(uow, actor, tip, event, move="investigate", notified=False, extra=extra)
    return tips


async def close_for_investigation(
    uow: TipsUnitOfWork,
    *,
    actor: Principal,
    tip_ids: list[UUID],
    investigation_id: UUID,
    outcome: TipOutcome,
    reason: str,
    message: str,
) -> list[Tip]:
    """Close the tips of a concluded investigation with its outcome, and tell each
    reporter (a message that counts as feedback; reporters never see who wrote it).

    The investigation's conclusion is what the policy allowed (its investigators may not
    triage tips themselves), so no tip-level check here; tips already closed (by an
    official meanwhile) are left as they are. No commit: the investigation commits.
    """
    tips = await _lock_in_order(uow, actor, tip_ids, None)
    at = uow.clock.now()
    moved: list[tuple[Tip, TipEvent]] = []
    for tip in tips:
        if tip.status is TipStatus.CLOSED:
            continue
        event = tip.close(actor=actor, at=at, outcome=outcome, reason=reason)
        await _notify(uow, actor, tip, message)
        await uow.tips.save(tip)
        moved.append((tip, event))
    for tip, event in moved:
        extra: dict[str, DetailValue] = {"investigation_id": str(investigation_id)}
        await _audit_move(uow, actor, tip, event, move="close", notified=True, extra=extra)
    return [tip for tip, _ in moved]


async def tip_summaries(uow: TipsUnitOfWork, *, tip_ids: list[UUID]) -> list[TipSummary]:
    """Reference, province and status of tips shown on an investigation (no content; the
    investigation's reader was checked by its use case)."""
    return await uow.tips.summaries(tip_ids)


# -- messages ----------------------------------------------------------------------------


def for_reporter(message: TipMessage) -> TipMessage:
    return replace(message, author_account_id=None, author_role=None)


def _check_body(body: str) -> str:
    body = body.strip()
    if not 1 <= len(body) <= MESSAGE_MAX:
        raise InvalidInput(f"A message is 1 to {MESSAGE_MAX} characters.")
    return body


async def _add_official_message(
    uow: TipsUnitOfWork, *, actor: Principal, tip: Tip, body: str, internal: bool
) -> TipMessage:
    now = uow.clock.now()
    message = TipMessage(
        id=uuid.uuid4(),
        tip_id=tip.id,
        created_at=now,
        author=MessageAuthor.OFFICIAL,
        body=_check_body(body),
        internal=internal,
        author_account_id=actor.account_id,
        author_role=actor.role_name,
    )
    await uow.tips.add_message(message)
    if not internal:
        tip.note_feedback(now)
    return message


async def _add_reporter_message(uow: TipsUnitOfWork, *, tip: Tip, body: str) -> TipMessage:
    message = TipMessage(
        id=uuid.uuid4(),
        tip_id=tip.id,
        created_at=uow.clock.now(),
        author=MessageAuthor.REPORTER,
        body=_check_body(body),
    )
    await uow.tips.add_message(message)
    return message


async def _newest_messages(
    uow: TipsUnitOfWork, tip_id: UUID, *, include_internal: bool
) -> MessageList:
    messages = await uow.tips.messages(
        tip_id, include_internal=include_internal, newest=MESSAGE_LIST_MAX + 1
    )
    if len(messages) > MESSAGE_LIST_MAX:
        return MessageList(items=messages[-MESSAGE_LIST_MAX:], truncated=True)
    return MessageList(items=messages, truncated=False)


async def list_messages(
    uow: TipsUnitOfWork, *, actor: Principal | None, tip_id: UUID
) -> MessageList:
    """The newest messages of a tip, oldest first; reporters never see internal notes."""
    tip = await _visible_tip(uow, actor, Action.TIP_MESSAGE, tip_id)
    official = is_official(actor)
    messages = await _newest_messages(uow, tip.id, include_internal=official)
    if not official:  # reporters see that an official wrote, not which one
        messages = replace(messages, items=[for_reporter(m) for m in messages.items])
    await uow.audit.viewed(
        _audit_actor(actor, tip),
        ENTITY,
        tip.id,
        province_code=_audit_province(tip),
        fields=["messages"],
    )
    await uow.commit()
    return messages


async def post_message(
    uow: TipsUnitOfWork, *, actor: Principal | None, tip_id: UUID, body: str, internal: bool
) -> TipMessage:
    """An official's message or internal note, or the (volunteer) reporter's message."""
    tip = await _visible_tip(uow, actor, Action.TIP_MESSAGE, tip_id, for_update=True)
    who = _principal(actor)
    official = is_official(who)
    if internal and not official:
        raise InternalNoteNotAllowed()
    if official:
        message = await _add_official_message(uow, actor=who, tip=tip, body=body, internal=internal)
        await uow.tips.save(tip)
    else:
        message = await _add_reporter_message(uow, tip=tip, body=body)
    await uow.audit.record(
        _audit_actor(who, tip),
        AuditAction.TIP_MESSAGE_ADDED,
        entity_type=ENTITY,
        entity_id=tip.id,
        province_code=_audit_province(tip),
        details={"internal": internal, "by": message.author.value, "id": str(message.id)},
    )
    await uow.commit()
    return message


# -- related tips ------------------------------------------------------------------------


async def link_tips(
    uow: TipsUnitOfWork, *, actor: Principal | None, tip_id: UUID, target_id: UUID, kind: LinkKind
) -> LinkedTip:
    """Link a tip to another the caller can also see (duplicate_of or related)."""
    tip = await _visible_tip(uow, actor, Action.TIP_LINK, tip_id)
    target = await _visible_tip(uow, actor, Action.TIP_LINK, target_id)
    if tip.id == target.id:
        raise InvalidInput("A tip cannot be linked to itself.")
    who = _principal(actor)
    link = TipLink(
        tip_id=tip.id,
        target_id=target.id,
        kind=kind,
        created_at=uow.clock.now(),
        created_by=who.account_id,
    )
    await uow.tips.add_link(link)
    await uow.audit.record(
        _actor(who),
        AuditAction.TIP_LINKED,
        entity_type=ENTITY,
        entity_id=tip.id,
        province_code=_audit_province(tip),
        details={"target_id": str(target.id), "kind": kind.value},
    )
    await uow.commit()
    return LinkedTip(tip_id=target.id, reference=target.reference, kind=kind, outgoing=True)


# -- anonymous follow-up -----------------------------------------------------------------
# The receipt is the only credential. The caller is recorded as anonymous even when a
# token was sent, so a receipt is never tied to an account in the audit log.


async def _by_receipt(uow: TipsUnitOfWork, receipt: str) -> Tip:
    # Always normalise, hash and query the same way: no shortcut for malformed codes.
    tip = await uow.tips.get_by_receipt(normalize_receipt(receipt))
    if tip is None:
        raise ReceiptNotFound()
    return tip


async def follow_up(uow: TipsUnitOfWork, *, receipt: str) -> FollowUp:
    """Status, deadlines, status changes and reporter-visible messages, by receipt."""
    tip = await _by_receipt(uow, receipt)
    history = await uow.tips.history(tip.id)
    messages = await _newest_messages(uow, tip.id, include_internal=False)
    disclosed = await uow.disclosures.any_approved(tip.id)
    await uow.audit.record(
        ANONYMOUS, AuditAction.TIP_FOLLOWED_UP, entity_type=ENTITY, entity_id=tip.id, details={}
    )
    await uow.commit()
    return FollowUp(
        tip=without_identity(tip),
        history=history,
        messages=[for_reporter(m) for m in messages.items],
        messages_truncated=messages.truncated,
        identity_disclosed=disclosed,
    )


async def follow_up_message(uow: TipsUnitOfWork, *, receipt: str, body: str) -> TipMessage:
    """The anonymous reporter answers a question or adds information."""
    tip = await _by_receipt(uow, receipt)
    message = await _add_reporter_message(uow, tip=tip, body=body)
    await uow.audit.record(
        ANONYMOUS,
        AuditAction.TIP_MESSAGE_ADDED,
        entity_type=ENTITY,
        entity_id=tip.id,
        details={"internal": False, "by": MessageAuthor.REPORTER.value, "id": str(message.id)},
    )
    await uow.commit()
    return message


# -- the identity vault (domain/tips/disclosures.py) ---------------------------------------


async def request_disclosure(
    uow: TipsUnitOfWork, *, actor: Principal | None, tip_id: UUID, reason: str
) -> DisclosureRequest:
    """Ask a custodian to see who reported a tip the caller can see, with a reason."""
    tip = await _visible_tip(uow, actor, Action.TIP_DISCLOSURE_REQUEST, tip_id)
    if reporter_kind(tip) == "anonymous" and tip.contact is None:
        raise NothingToDisclose()
    who = _principal(actor)
    request = DisclosureRequest.new(tip_id=tip.id, actor=who, reason=reason, at=uow.clock.now())
    await uow.disclosures.add(request)
    await uow.audit.record(
        _actor(who),
        AuditAction.TIP_DISCLOSURE_REQUESTED,
        entity_type=ENTITY,
        entity_id=tip.id,
        province_code=_audit_province(tip),
        details={"disclosure_id": str(request.id)},
    )
    await uow.commit()
    return request


async def _disclosure(
    uow: TipsUnitOfWork,
    actor: Principal | None,
    action: Action,
    request_id: UUID,
    *,
    for_update: bool = False,
) -> DisclosureRequest:
    """The request, for custodians (every one) or its requester; else 404."""
    scope = policy.require(actor, action)
    request = await uow.disclosures.get(request_id, for_update=for_update)
    if request is None or (
        scope is not Scope.ALL and (actor is None or request.requested_by != actor.account_id)
    ):
        raise DisclosureNotFound(request_id)
    return request


async def get_disclosure(
    uow: TipsUnitOfWork, *, actor: Principal | None, request_id: UUID
) -> DisclosureRequest:
    return await _disclosure(uow, actor, Action.TIP_DISCLOSURE_READ, request_id)


async def list_disclosures(
    uow: TipsUnitOfWork,
    *,
    actor: Principal | None,
    status: DisclosureStatus | None,
    page: PageRequest[Cursor],
) -> Page[DisclosureSummary]:
    """Custodians see every request, requesters their own; newest first."""
    scope = policy.require(actor, Action.TIP_DISCLOSURE_READ)
    mine = None if scope is Scope.ALL or actor is None else actor.account_id
    rows = await uow.disclosures.list(status=status, requested_by=mine, page=page)
    return paginate(rows, page, key=lambda item: Cursor(at=item.requested_at, id=item.id))


async def decide_disclosure(
    uow: TipsUnitOfWork,
    *,
    actor: Principal | None,
    request_id: UUID,
    decision: Decision,
    reason: str,
) -> DisclosureRequest:
    """A custodian approves (the requester then sees the identity, of that tip only) or
    refuses, with a reason; never their own request, and only once (409)."""
    step = DISCLOSURE_WORKFLOW[decision]
    request = await _disclosure(uow, actor, step.action, request_id, for_update=True)
    who = _principal(actor)
    request.decide(decision, actor=who, at=uow.clock.now(), reason=reason)
    await uow.disclosures.save(request)
    tip = await uow.tips.get(request.tip_id)
    await uow.audit.record(
        _actor(who),
        step.audit_action,
        entity_type=ENTITY,
        entity_id=request.tip_id,
        province_code=None if tip is None else _audit_province(tip),
        details={
            "disclosure_id": str(request.id),
            "requester_id": str(request.requested_by),
            "status": request.status.value,
        },
    )
    await uow.commit()
    return request
