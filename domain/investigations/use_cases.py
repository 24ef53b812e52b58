"""Use cases of the investigations feature: one transaction each, audited, committed once.

Record-level access: an investigation the caller may not see is reported as not found
(404), so nobody learns that it exists (see domain/investigations/access.py). Changes to
the record (PATCH, every status move) need the version the caller read (If-Match):
without it 428, stale 412 (domain/concurrency.py), checked after the row is locked.

Lock order (domain/accounts/use_cases.py): the investigation row first, then its tips
(in id order, by the tips feature), then the audit entries last.

Audit entries carry ids, statuses, outcomes, priorities, field names and counts only:
never the title, findings, reasons, notes, evidence or anything about the reporters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain import policy
from domain.agencies.model import normalize_agency_code
from domain.audit.model import AuditAction, AuditActor, DetailValue
from domain.concurrency import VersionMatch, require_version
from domain.errors import Forbidden, InvalidInput
from domain.investigations import events
from domain.investigations.access import can_see, visibility
from domain.investigations.errors import (
    AlreadyReferred,
    InvestigationNotFound,
    NotAssignable,
    NotReadyForReferral,
    ReferralNotFound,
)
from domain.investigations.model import (
    ASSIGNABLE_ROLES,
    INVESTIGATION_WORKFLOW,
    MAX_TIPS,
    REPORTER_MESSAGES,
    TIP_OUTCOMES,
    AssignmentRole,
    Evidence,
    Investigation,
    InvestigationOutcome,
    InvestigationStatus,
    InvestigationSummary,
    Priority,
    TimelineEntry,
    Transition,
    format_reference,
)
from domain.investigations.ports import (
    InvestigationQuery,
    InvestigationsUnitOfWork,
    ReferralQuery,
    ReferralSummary,
)
from domain.investigations.referrals import (
    Referral,
    ReferralStatus,
    agency_scope,
    can_see_referral,
)
from domain.pagination import Cursor, Page, PageRequest, SeqCursor, paginate
from domain.policy import Action, Principal, RecordScope, Role
from domain.provinces.model import normalize_province_code
from domain.tips import use_cases as tips
from domain.tips.deadlines import buddhist_year
from domain.tips.model import TipSummary

ENTITY = "investigation"


@dataclass(frozen=True, slots=True)
class InvestigationOpening:
    title: str
    tip_ids: list[UUID]
    lead_province_code: str | None = None  # default: the first tip's province
    priority: Priority = Priority.NORMAL
    due_on: date | None = None


@dataclass(frozen=True, slots=True)
class InvestigationChanges:
    """A partial update: only the names in `fields` were sent (null clears optional ones)."""

    fields: frozenset[str]
    title: str | None = None
    priority: Priority | None = None
    due_on: date | None = None
    findings: str | None = None


@dataclass(frozen=True, slots=True)
class InvestigationRecord:
    """An investigation with the summaries of its tips (references, provinces, statuses)."""

    investigation: Investigation
    tips: list[TipSummary]


def _principal(actor: Principal | None) -> Principal:
    if actor is None:  # pragma: no cover - require() refuses anonymous callers first
        raise Forbidden("Officials only.")
    return actor


def _audit_province(investigation: Investigation) -> str | None:
    # As for tips: an entry filed under a province whose office a linked tip accuses
    # could show that office the case exists.
    lead = investigation.lead_province_code
    return None if lead in investigation.recused_province_codes else lead


async def _audit(
    uow: InvestigationsUnitOfWork,
    actor: Principal,
    action: AuditAction,
    investigation: Investigation,
    details: dict[str, DetailValue],
) -> None:
    await uow.audit.record(
        AuditActor.of(actor),
        action,
        entity_type=ENTITY,
        entity_id=investigation.id,
        province_code=_audit_province(investigation),
        details=details,
    )


async def _load(
    uow: InvestigationsUnitOfWork,
    actor: Principal | None,
    action: Action,
    investigation_id: UUID,
    *,
    for_update: bool = False,
) -> Investigation:
    """The investigation, if the caller's scope for the action reaches it; else 404."""
    policy.require(actor, action)
    investigation = await uow.investigations.get(investigation_id, for_update=for_update)
    if investigation is None or not can_see(actor, action, investigation):
        raise InvestigationNotFound(investigation_id)
    return investigation


async def _record(
    uow: InvestigationsUnitOfWork, investigation: Investigation
) -> InvestigationRecord:
    return InvestigationRecord(
        investigation, await tips.tip_summaries(uow, tip_ids=investigation.tip_ids)
    )


async def _commit(
    uow: InvestigationsUnitOfWork, investigation: Investigation
) -> InvestigationRecord:
    """The record as committed (its tips read in the same transaction), after the commit."""
    record = await _record(uow, investigation)
    await uow.commit()
    return record


# -- opening ---------------------------------------------------------------------------


async def _lead_province(
    uow: InvestigationsUnitOfWork, actor: Principal, raw: str | None, first_tip: str
) -> str:
    code = first_tip if raw is None else normalize_province_code(raw)
    if code is None or not await uow.provinces.exists(code):
        raise InvalidInput(f"No province has the code '{(raw or '')[:8]}'.")
    if not policy.can_access(actor, Action.INVESTIGATION_CREATE, RecordScope(province_code=code)):
        raise InvalidInput("A provincial office opens investigations led by its own province.")
    return code


async def open_investigation(
    uow: InvestigationsUnitOfWork, *, actor: Principal | None, opening: InvestigationOpening
) -> InvestigationRecord:
    """Open an investigation on one or more tips (any provinces); they move to
    `investigating`. Each tip must be one the caller may triage and in review."""
    policy.require(actor, Action.INVESTIGATION_CREATE)
    who = _principal(actor)
    tip_ids = list(dict.fromkeys(opening.tip_ids))
    if not 1 <= len(tip_ids) <= MAX_TIPS:
        raise InvalidInput(f"An investigation links 1 to {MAX_TIPS} tips.")
    now = uow.clock.now()
    # The counter first: it serialises openings, so the tips' locks come after it.
    reference = format_reference(
        buddhist_year(now), await uow.investigations.next_sequence(buddhist_year(now))
    )
    investigation_id = uuid.uuid4()
    moved = await tips.start_investigation(
        uow,
        actor=who,
        tip_ids=tip_ids,
        investigation_id=investigation_id,
        reason=f"Investigation {reference} opened.",
    )
    by_id = {tip.id: tip for tip in moved}
    lead = await _lead_province(
        uow, who, opening.lead_province_code, by_id[tip_ids[0]].province_code
    )
    investigation = Investigation.open(
        investigation_id=investigation_id,
        reference=reference,
        title=opening.title,
        lead_province_code=lead,
        tip_ids=tip_ids,
        recused_province_codes=frozenset(
            tip.recused_province_code for tip in moved if tip.recused_province_code is not None
        ),
        priority=opening.priority,
        due_on=opening.due_on,
        actor=who,
        at=now,
    )
    await uow.investigations.add(investigation)
    await _audit(
        uow,
        who,
        AuditAction.INVESTIGATION_OPENED,
        investigation,
        {
            "status": investigation.status.value,
            "priority": investigation.priority.value,
            "tip_ids": [str(tip_id) for tip_id in tip_ids],
            "recused": bool(investigation.recused_province_codes),
        },
    )
    return await _commit(uow, investigation)


# -- reading -----------------------------------------------------------------------------


async def get_investigation(
    uow: InvestigationsUnitOfWork, *, actor: Principal | None, investigation_id: UUID
) -> InvestigationRecord:
    """The full record (title, findings, team, tips); every read is audited as a view."""
    investigation = await _load(uow, actor, Action.INVESTIGATION_READ, investigation_id)
    await uow.audit.viewed(
        AuditActor.of(actor),
        ENTITY,
        investigation.id,
        province_code=_audit_province(investigation),
        fields=["record"],
    )
    return await _commit(uow, investigation)


async def list_investigations(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    query: InvestigationQuery,
    page: PageRequest[Cursor],
) -> Page[InvestigationSummary]:
    """Summaries of the investigations the caller may see, newest first."""
    policy.require(actor, Action.INVESTIGATION_READ)
    if query.province_code is not None:
        code = normalize_province_code(query.province_code)
        if code is None:
            raise InvalidInput(f"'{query.province_code[:8]}' is not a province code.")
        query = replace(query, province_code=code)
    if query.agency_code is not None:
        query = replace(query, agency_code=query.agency_code.strip().upper())
    view = visibility(actor, Action.INVESTIGATION_READ)
    if view.nothing:
        return Page(items=[])
    rows = await uow.investigations.list(query, view, page=page, now=uow.clock.now())
    return paginate(rows, page, key=lambda item: Cursor(at=item.created_at, id=item.id))


async def timeline(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    investigation_id: UUID,
    page: PageRequest[SeqCursor],
) -> Page[TimelineEntry]:
    """Status changes, assignments, notes and evidence, oldest first (audited as a view)."""
    investigation = await _load(uow, actor, Action.INVESTIGATION_READ, investigation_id)
    rows = await uow.investigations.timeline(investigation.id, page=page)
    await uow.audit.viewed(
        AuditActor.of(actor),
        ENTITY,
        investigation.id,
        province_code=_audit_province(investigation),
        fields=["timeline"],
    )
    await uow.commit()
    return paginate(rows, page, key=lambda entry: SeqCursor(seq=entry.seq or 0))


# -- changes to the record (If-Match) ----------------------------------------------------


async def update_investigation(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    investigation_id: UUID,
    changes: InvestigationChanges,
    expected_version: VersionMatch | None,
) -> InvestigationRecord:
    """Change title, priority, due date or findings (If-Match); not once concluded."""
    investigation = await _load(
        uow, actor, Action.INVESTIGATION_UPDATE, investigation_id, for_update=True
    )
    require_version(ENTITY, investigation.version, expected_version)
    who = _principal(actor)
    changed = investigation.update(
        actor=who,
        at=uow.clock.now(),
        title=changes.title,
        priority=changes.priority,
        due_on=changes.due_on,
        findings=changes.findings,
        fields=changes.fields,
    )
    if not changed:
        return await _record(uow, investigation)
    await uow.investigations.save(investigation)
    await _audit(
        uow,
        who,
        AuditAction.INVESTIGATION_UPDATED,
        investigation,
        {"fields": list[DetailValue](changed), "version": investigation.version},
    )
    return await _commit(uow, investigation)


#: The moves that take nothing but a reason: one use case (`change_status`) and one route
#: each. Concluding (an outcome, the tips closed) has its own.
SIMPLE_MOVES: tuple[Transition, ...] = (
    Transition.START,
    Transition.HOLD,
    Transition.RESUME,
    Transition.REOPEN,
)


async def _move(
    uow: InvestigationsUnitOfWork,
    actor: Principal | None,
    investigation_id: UUID,
    transition: Transition,
    expected_version: VersionMatch | None,
) -> tuple[Investigation, Principal]:
    step = INVESTIGATION_WORKFLOW[transition]
    investigation = await _load(uow, actor, step.action, investigation_id, for_update=True)
    require_version(ENTITY, investigation.version, expected_version)
    return investigation, _principal(actor)


async def _audit_move(
    uow: InvestigationsUnitOfWork,
    who: Principal,
    investigation: Investigation,
    entry: TimelineEntry,
    transition: Transition,
) -> None:
    assert entry.from_status is not None
    assert entry.to_status is not None
    details: dict[str, DetailValue] = {
        "from_status": entry.from_status.value,
        "to_status": entry.to_status.value,
        "entry_id": str(entry.id),
        "version": investigation.version,
    }
    if entry.outcome is not None:
        details["outcome"] = entry.outcome.value
        details["tips_count"] = len(investigation.tips)
    await _audit(uow, who, INVESTIGATION_WORKFLOW[transition].audit_action, investigation, details)


async def change_status(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    investigation_id: UUID,
    move: Transition,
    reason: str,
    expected_version: VersionMatch | None,
) -> InvestigationRecord:
    """Start, hold, resume or reopen (central officers) an investigation, with a reason.

    Reopening leaves the tips closed (their reporters were told the outcome); the
    investigation holds them again, and no other investigation can take them.
    """
    if move not in SIMPLE_MOVES:
        raise ValueError(f"'{move}' is not a simple status move")
    investigation, who = await _move(uow, actor, investigation_id, move, expected_version)
    entry = investigation.move(move, actor=who, at=uow.clock.now(), reason=reason)
    await uow.investigations.save(investigation)
    await _audit_move(uow, who, investigation, entry, move)
    return await _commit(uow, investigation)


async def conclude_investigation(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    investigation_id: UUID,
    outcome: InvestigationOutcome,
    reason: str,
    expected_version: VersionMatch | None,
    findings: str | None = None,
    message: str | None = None,
    damage_estimated_thb: Decimal | None = None,
    amount_recovered_thb: Decimal | None = None,
) -> InvestigationRecord:
    """Conclude with an outcome: every linked tip still open is closed with the matching
    outcome, and its reporter gets `message` (or the outcome's standard text), which
    counts as feedback. Reporters never learn who investigated or what was found. The
    damage estimated and the amount recovered are recorded where known (statistics)."""
    investigation, who = await _move(
        uow, actor, investigation_id, Transition.CONCLUDE, expected_version
    )
    entry = investigation.move(
        Transition.CONCLUDE,
        actor=who,
        at=uow.clock.now(),
        reason=reason,
        outcome=outcome,
        findings=findings,
        damage_estimated_thb=damage_estimated_thb,
        amount_recovered_thb=amount_recovered_thb,
    )
    await uow.investigations.save(investigation)
    text = (message or "").strip() or REPORTER_MESSAGES[outcome]
    await tips.close_for_investigation(
        uow,
        actor=who,
        tip_ids=investigation.tip_ids,
        investigation_id=investigation.id,
        outcome=TIP_OUTCOMES[outcome],
        reason=f"Investigation {investigation.reference} concluded: {outcome.value}.",
        message=text,
    )
    await _audit_move(uow, who, investigation, entry, Transition.CONCLUDE)
    # Agencies the case is referred to learn that it was concluded (again).
    for referral in await uow.referrals.of_investigation(investigation.id):
        if referral.active:
            await uow.outbox.add(events.investigation_concluded(investigation, referral, entry.at))
    return await _commit(uow, investigation)


# -- the team ----------------------------------------------------------------------------


async def _check_assignable(
    uow: InvestigationsUnitOfWork, investigation: Investigation, account_id: UUID
) -> None:
    account = await uow.accounts.get(account_id)
    if account is None or not account.is_active or account.role not in ASSIGNABLE_ROLES:
        raise NotAssignable()
    if account.role is Role.PROVINCIAL_OFFICER and (
        account.province_code != investigation.lead_province_code
        or account.province_code in investigation.recused_province_codes
    ):
        raise NotAssignable()


async def assign(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    investigation_id: UUID,
    account_id: UUID,
    role: AssignmentRole,
) -> InvestigationRecord:
    """Assign an investigator (or an officer) as lead or member; a new lead makes the
    previous one a member. Assigned investigators see the case and its tips."""
    investigation = await _load(
        uow, actor, Action.INVESTIGATION_ASSIGN, investigation_id, for_update=True
    )
    await _check_assignable(uow, investigation, account_id)
    who = _principal(actor)
    entry = investigation.assign(account_id, role, actor=who, at=uow.clock.now())
    await uow.investigations.save(investigation)
    await _audit(
        uow,
        who,
        AuditAction.INVESTIGATION_ASSIGNED,
        investigation,
        {
            "account_id": str(account_id),
            "role": role.value,
            "entry_id": str(entry.id),
            "version": investigation.version,
        },
    )
    return await _commit(uow, investigation)


async def unassign(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    investigation_id: UUID,
    account_id: UUID,
) -> InvestigationRecord:
    """Take an account off the investigation: it no longer sees the case or its tips."""
    investigation = await _load(
        uow, actor, Action.INVESTIGATION_ASSIGN, investigation_id, for_update=True
    )
    who = _principal(actor)
    entry = investigation.unassign(account_id, actor=who, at=uow.clock.now())
    await uow.investigations.save(investigation)
    await _audit(
        uow,
        who,
        AuditAction.INVESTIGATION_UNASSIGNED,
        investigation,
        {
            "account_id": str(account_id),
            "entry_id": str(entry.id),
            "version": investigation.version,
        },
    )
    return await _commit(uow, investigation)


# -- notes and evidence (the timeline only) ----------------------------------------------


async def add_note(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    investigation_id: UUID,
    body: str,
) -> TimelineEntry:
    """An internal note on the timeline (never shown to reporters or partners)."""
    investigation = await _load(uow, actor, Action.INVESTIGATION_NOTE, investigation_id)
    who = _principal(actor)
    entry = investigation.add_note(body, actor=who, at=uow.clock.now())
    await uow.investigations.append_timeline(investigation)
    await _audit(
        uow, who, AuditAction.INVESTIGATION_NOTE_ADDED, investigation, {"entry_id": str(entry.id)}
    )
    await uow.commit()
    return entry


async def add_evidence(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    investigation_id: UUID,
    evidence: Evidence,
) -> TimelineEntry:
    """A chain-of-custody entry: what, from where, where it is kept, who handled it."""
    investigation = await _load(uow, actor, Action.INVESTIGATION_EVIDENCE, investigation_id)
    who = _principal(actor)
    entry = investigation.add_evidence(evidence, actor=who, at=uow.clock.now())
    await uow.investigations.append_timeline(investigation)
    await _audit(
        uow,
        who,
        AuditAction.INVESTIGATION_EVIDENCE_ADDED,
        investigation,
        {"entry_id": str(entry.id)},
    )
    await uow.commit()
    return entry


# -- referrals to partner agencies -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReferralRecord:
    """A referral as read: the summary for the agency and its updates (timeline steps)."""

    referral: Referral
    updates: list[TimelineEntry]


async def refer_investigation(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    investigation_id: UUID,
    agency_code: str,
    summary: str,
) -> ReferralRecord:
    """Refer an investigation concluded as `referred` to a partner agency, with a summary
    written for it (never the tips or their reporters). A declined referral can be
    referred again, elsewhere; otherwise one referral at a time (409)."""
    investigation = await _load(
        uow, actor, Action.INVESTIGATION_REFER, investigation_id, for_update=True
    )
    if (
        investigation.status is not InvestigationStatus.CONCLUDED
        or investigation.outcome is not InvestigationOutcome.REFERRED
    ):
        raise NotReadyForReferral()
    code = normalize_agency_code(agency_code)
    agency = await uow.agencies.get(code)
    if agency is None or not agency.is_active:
        raise InvalidInput(f"No active partner agency has the code '{code}'.")
    if any(r.active for r in await uow.referrals.of_investigation(investigation.id)):
        raise AlreadyReferred()
    who = _principal(actor)
    referral, entry = Referral.new(
        investigation_id=investigation.id,
        investigation_reference=investigation.reference,
        agency_code=agency.code,
        summary=summary,
        actor=who,
        at=uow.clock.now(),
    )
    await uow.referrals.add(referral, entry)
    await _audit(
        uow,
        who,
        AuditAction.INVESTIGATION_REFERRED,
        investigation,
        {"referral_id": str(referral.id), "agency_code": agency.code},
    )
    await uow.outbox.add(events.referral_created(referral))
    await uow.commit()
    return ReferralRecord(referral, [entry])


async def _referral(
    uow: InvestigationsUnitOfWork,
    actor: Principal | None,
    action: Action,
    referral_id: UUID,
    *,
    for_update: bool = False,
) -> Referral:
    """The referral, if the caller may reach it (partners: their agency's); else 404."""
    policy.require(actor, action)
    referral = await uow.referrals.get(referral_id, for_update=for_update)
    if referral is None or not can_see_referral(actor, action, referral):
        raise ReferralNotFound(referral_id)
    return referral


async def list_referrals(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    query: ReferralQuery,
    page: PageRequest[Cursor],
) -> Page[ReferralSummary]:
    """Referrals newest first; partners see only those to their own agency."""
    policy.require(actor, Action.REFERRAL_READ)
    if query.agency_code is not None:
        query = replace(query, agency_code=query.agency_code.strip().upper())
    rows = await uow.referrals.list(
        query, only_agency=agency_scope(actor, Action.REFERRAL_READ), page=page
    )
    return paginate(rows, page, key=lambda item: Cursor(at=item.created_at, id=item.id))


async def get_referral(
    uow: InvestigationsUnitOfWork, *, actor: Principal | None, referral_id: UUID
) -> ReferralRecord:
    """The referral with its summary and updates (audited as a view)."""
    referral = await _referral(uow, actor, Action.REFERRAL_READ, referral_id)
    updates = await uow.referrals.updates(referral)
    await uow.audit.viewed(AuditActor.of(actor), "referral", referral.id, fields=["summary"])
    await uow.commit()
    return ReferralRecord(referral, updates)


async def report_on_referral(
    uow: InvestigationsUnitOfWork,
    *,
    actor: Principal | None,
    referral_id: UUID,
    status: ReferralStatus,
    note: str | None,
) -> ReferralRecord:
    """The agency's status update (partners of that agency): received, accepted,
    declined, in_progress, prosecuted or closed, with a note; it appears on the
    investigation's timeline. An update its current status does not lead to is a 409."""
    referral = await _referral(uow, actor, Action.REFERRAL_UPDATE, referral_id, for_update=True)
    who = _principal(actor)
    before = referral.status
    entry = referral.report(status, note=note, actor=who, at=uow.clock.now())
    await uow.referrals.save(referral, entry)
    await uow.audit.record(
        AuditActor.of(who),
        AuditAction.REFERRAL_UPDATED,
        entity_type="referral",
        entity_id=referral.id,
        details={
            "from_status": before.value,
            "to_status": referral.status.value,
            "agency_code": referral.agency_code,
            "investigation_id": str(referral.investigation_id),
            "entry_id": str(entry.id),
        },
    )
    await uow.outbox.add(events.referral_updated(referral, before.value))
    updates = await uow.referrals.updates(referral)
    await uow.commit()
    return ReferralRecord(referral, updates)
