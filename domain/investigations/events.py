"""The events partner agencies receive about their referrals (see domain/outbox/model.py).

Ids, reference, agency code and status only: the summary, the notes, the tips and their
reporters never leave through the outbox.
"""

from __future__ import annotations

from datetime import datetime

from domain.investigations.model import Investigation
from domain.investigations.referrals import Referral
from domain.outbox.model import EventData, EventType, OutboxEvent


def _referral_data(referral: Referral) -> EventData:
    return {
        "referral_id": str(referral.id),
        "investigation_id": str(referral.investigation_id),
        "investigation_reference": referral.investigation_reference,
        "agency_code": referral.agency_code,
        "status": referral.status.value,
    }


def referral_created(referral: Referral) -> OutboxEvent:
    return OutboxEvent.new(
        EventType.REFERRAL_CREATED,
        agency_code=referral.agency_code,
        at=referral.created_at,
        data=_referral_data(referral),
    )


def referral_updated(referral: Referral, previous_status: str) -> OutboxEvent:
    return OutboxEvent.new(
        EventType.REFERRAL_UPDATED,
        agency_code=referral.agency_code,
        at=referral.updated_at,
        data={**_referral_data(referral), "previous_status": previous_status},
    )


def investigation_concluded(
    investigation: Investigation, referral: Referral, at: datetime
) -> OutboxEvent:
    """For an agency the investigation is referred to (a case reopened and concluded
    again while referred)."""
    return OutboxEvent.new(
        EventType.INVESTIGATION_CONCLUDED,
        agency_code=referral.agency_code,
        at=at,
        data={
            **_referral_data(referral),
            "investigation_status": investigation.status.value,
        },
    )
