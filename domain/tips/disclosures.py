"""The identity vault: who reported a tip is kept apart from what they reported.

A reporter's identity (a volunteer's account, the contact details a reporter chose to
give, the official who recorded a hotline or walk-in tip) is hidden from every role by
default, because the officials handling a tip may be the ones it accuses. An official
who can see the tip (an investigator of its investigation, an officer) asks for it with
a reason; a custodian (the central centre: `Action.TIP_DISCLOSURE_DECIDE`) approves or
refuses with a reason, never their own request. Only the requester then sees the
identity, of that tip only. Every step is audited; the reporter's follow-up tells them
that their identity was disclosed, never to whom.

    pending --approve--> approved
    pending --refuse---> refused
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.audit.model import AuditAction
from domain.errors import Forbidden, InvalidInput
from domain.policy import Action, Principal
from domain.workflow import Move, Workflow

REASON_MAX = 2_000


class DisclosureStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class Decision(StrEnum):
    """The custodian's moves; each is also its URL (`POST .../{id}/<name>`)."""

    APPROVE = "approve"
    REFUSE = "refuse"


DISCLOSURE_WORKFLOW: Workflow[DisclosureStatus] = Workflow(
    "disclosure request",
    [
        Move(
            Decision.APPROVE,
            frozenset({DisclosureStatus.PENDING}),
            DisclosureStatus.APPROVED,
            Action.TIP_DISCLOSURE_DECIDE,
            AuditAction.TIP_DISCLOSURE_APPROVED,
            "Approve a request to see who reported a tip (custodians)",
        ),
        Move(
            Decision.REFUSE,
            frozenset({DisclosureStatus.PENDING}),
            DisclosureStatus.REFUSED,
            Action.TIP_DISCLOSURE_DECIDE,
            AuditAction.TIP_DISCLOSURE_REFUSED,
            "Refuse a request to see who reported a tip (custodians)",
        ),
    ],
)


def _reason(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(f"The {what} cannot be empty.")
    if len(cleaned) > REASON_MAX:
        raise InvalidInput(f"The {what} may have at most {REASON_MAX} characters.")
    return cleaned


class OwnRequest(Forbidden):
    def __init__(self) -> None:
        super().__init__("A custodian never decides a request of their own.")


@dataclass(slots=True)
class DisclosureRequest:
    id: UUID
    tip_id: UUID
    requested_by: UUID
    requester_role: str
    reason: str
    status: DisclosureStatus
    requested_at: datetime
    decided_by: UUID | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None

    @classmethod
    def new(cls, *, tip_id: UUID, actor: Principal, reason: str, at: datetime) -> DisclosureRequest:
        return cls(
            id=uuid.uuid4(),
            tip_id=tip_id,
            requested_by=actor.account_id,
            requester_role=actor.role_name,
            reason=_reason(reason, "reason"),
            status=DisclosureStatus.PENDING,
            requested_at=at,
        )

    def decide(self, decision: Decision, *, actor: Principal, at: datetime, reason: str) -> None:
        """Approve or refuse (InvalidTransition, 409, once decided)."""
        target = DISCLOSURE_WORKFLOW.target(decision, self.status)
        if actor.account_id == self.requested_by:
            raise OwnRequest()
        self.decision_reason = _reason(reason, "reason of the decision")
        self.status, self.decided_by, self.decided_at = target, actor.account_id, at


@dataclass(frozen=True, slots=True)
class DisclosureSummary:
    """A request in a list: no reasons."""

    id: UUID
    tip_id: UUID
    requested_by: UUID
    requester_role: str
    status: DisclosureStatus
    requested_at: datetime
    decided_at: datetime | None
