"""Referrals: an investigation handed to a partner agency with legal powers (NACC, PACC,
DSI, ...), and the agency's status updates back (a domain/workflow.py table).

Lifecycle, driven by the agency's partner accounts::

    referred --received--> received
    referred | received --accepted--> accepted      --declined--> declined
    accepted --in_progress--> in_progress
    accepted | in_progress --prosecuted--> prosecuted
    accepted | in_progress | prosecuted --closed--> closed

The agency gets a summary written for it, never the tips or who reported them. An
investigation has at most one referral that is not declined: a declined one can be
referred again, elsewhere. Every referral and update is also a step of the
investigation's timeline.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain import policy
from domain.audit.model import AuditAction
from domain.errors import InvalidInput
from domain.investigations.model import TimelineEntry, TimelineKind, clean_text
from domain.policy import Action, Principal, Role, Scope
from domain.workflow import Move, Workflow

SUMMARY_MAX = 10_000
NOTE_MAX = 5_000


class ReferralStatus(StrEnum):
    REFERRED = "referred"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    PROSECUTED = "prosecuted"
    CLOSED = "closed"


R = ReferralStatus


def _update(source: frozenset[ReferralStatus], target: ReferralStatus, summary: str) -> Move[R]:
    # Each move is named after the status it reports: the agency posts `{"status": ...}`.
    return Move(
        target.value, source, target, Action.REFERRAL_UPDATE, AuditAction.REFERRAL_UPDATED, summary
    )


#: The updates an agency may post, from which statuses. Any other is a 409.
REFERRAL_WORKFLOW: Workflow[ReferralStatus] = Workflow(
    "referral",
    [
        _update(frozenset({R.REFERRED}), R.RECEIVED, "The agency received the referral"),
        _update(frozenset({R.REFERRED, R.RECEIVED}), R.ACCEPTED, "The agency takes the case"),
        _update(frozenset({R.REFERRED, R.RECEIVED}), R.DECLINED, "The agency declines it"),
        _update(frozenset({R.ACCEPTED}), R.IN_PROGRESS, "The agency is working the case"),
        _update(frozenset({R.ACCEPTED, R.IN_PROGRESS}), R.PROSECUTED, "Charges were brought"),
        _update(
            frozenset({R.ACCEPTED, R.IN_PROGRESS, R.PROSECUTED}), R.CLOSED, "The agency closed it"
        ),
    ],
)

#: The statuses an agency reports (every status but the initial one).
UPDATE_STATUSES = tuple(move.target for move in REFERRAL_WORKFLOW)


@dataclass(slots=True)
class Referral:
    id: UUID
    investigation_id: UUID
    #: The investigation's reference (INV-...), for the agency's correspondence.
    investigation_reference: str
    agency_code: str
    summary: str
    status: ReferralStatus
    created_at: datetime
    created_by: UUID
    updated_at: datetime
    version: int = 1

    @classmethod
    def new(
        cls,
        *,
        investigation_id: UUID,
        investigation_reference: str,
        agency_code: str,
        summary: str,
        actor: Principal,
        at: datetime,
    ) -> tuple[Referral, TimelineEntry]:
        referral = cls(
            id=uuid.uuid4(),
            investigation_id=investigation_id,
            investigation_reference=investigation_reference,
            agency_code=agency_code,
            summary=clean_text(summary, what="summary", max_length=SUMMARY_MAX, required=True),
            status=ReferralStatus.REFERRED,
            created_at=at,
            created_by=actor.account_id,
            updated_at=at,
        )
        return referral, referral._entry(TimelineKind.REFERRED, actor, at, None)

    @property
    def active(self) -> bool:
        """Not declined: the investigation cannot be referred again while it is."""
        return self.status is not ReferralStatus.DECLINED

    def _entry(
        self, kind: TimelineKind, actor: Principal, at: datetime, note: str | None
    ) -> TimelineEntry:
        return TimelineEntry(
            id=uuid.uuid4(),
            investigation_id=self.investigation_id,
            at=at,
            kind=kind,
            actor_id=actor.account_id,
            actor_role=actor.role_name,
            subject_id=self.id,
            agency_code=self.agency_code,
            referral_status=self.status.value,
            text=note,
        )

    def report(
        self, status: ReferralStatus, *, note: str | None, actor: Principal, at: datetime
    ) -> TimelineEntry:
        """The agency's update (InvalidTransition, 409, from a status that does not lead
        there); it becomes a step of the investigation's timeline, with its note."""
        if status not in UPDATE_STATUSES:
            raise InvalidInput(
                f"'{status}' is not a status an agency reports: one of "
                + ", ".join(UPDATE_STATUSES)
                + "."
            )
        self.status = REFERRAL_WORKFLOW.target(status.value, self.status)
        self.updated_at = at
        self.version += 1
        text = clean_text(note, what="note", max_length=NOTE_MAX) or None
        return self._entry(TimelineKind.REFERRAL_UPDATED, actor, at, text)


def can_see_referral(principal: Principal | None, action: Action, referral: Referral) -> bool:
    """Central officers and admins: every referral; partners (accounts of the role, and
    API clients with the scope) those to their agency."""
    scope = policy.scope_for(principal, action)
    if principal is None or scope is None:
        return False
    if scope is Scope.ALL:
        return True
    return (
        (principal.role is Role.PARTNER or principal.is_client)
        and principal.agency_code is not None
        and principal.agency_code == referral.agency_code
    )


def agency_scope(principal: Principal | None, action: Action) -> str | None:
    """The agency a caller's referral lists are limited to (None: every agency)."""
    scope = policy.scope_for(principal, action)
    if principal is not None and scope is Scope.OWN:
        # A partner without an agency sees nothing: no agency code matches ''.
        return principal.agency_code or ""
    return None
