"""Every table, imported once so that the metadata knows them all (Alembic, tests)."""

from persistence.accounts.tables import AccountRow
from persistence.agencies.tables import AgencyRow
from persistence.audit.tables import AuditRow, AuditShipmentRow
from persistence.clients.tables import ApiClientRow
from persistence.idempotency import IdempotencyRow
from persistence.investigations.tables import (
    InvestigationAssignmentRow,
    InvestigationCounterRow,
    InvestigationRow,
    InvestigationTimelineRow,
    InvestigationTipRow,
    ReferralRow,
)
from persistence.outbox.tables import OutboxEventRow
from persistence.provinces.tables import ProvinceRow
from persistence.sessions.tables import LoginThrottleRow, RefreshTokenRow
from persistence.statistics.tables import (
    StatConclusionRow,
    StatDurationRow,
    StatInvestigationRow,
    StatReferralRow,
    StatTipCountRow,
    StatTipOpenDeadlineRow,
    StatVolunteerRow,
)
from persistence.tips.tables import (
    TipCounterRow,
    TipDisclosureRow,
    TipEventRow,
    TipLinkRow,
    TipMessageRow,
    TipRow,
)
from persistence.volunteers.tables import VolunteerRow, VolunteerStatusRow, VolunteerTrainingRow
from persistence.webhooks.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow

__all__ = [
    "AccountRow",
    "AgencyRow",
    "ApiClientRow",
    "AuditRow",
    "AuditShipmentRow",
    "IdempotencyRow",
    "InvestigationAssignmentRow",
    "InvestigationCounterRow",
    "InvestigationRow",
    "InvestigationTimelineRow",
    "InvestigationTipRow",
    "LoginThrottleRow",
    "OutboxEventRow",
    "ProvinceRow",
    "ReferralRow",
    "RefreshTokenRow",
    "StatConclusionRow",
    "StatDurationRow",
    "StatInvestigationRow",
    "StatReferralRow",
    "StatTipCountRow",
    "StatTipOpenDeadlineRow",
    "StatVolunteerRow",
    "TipCounterRow",
    "TipDisclosureRow",
    "TipEventRow",
    "TipLinkRow",
    "TipMessageRow",
    "TipRow",
    "VolunteerRow",
    "VolunteerStatusRow",
    "VolunteerTrainingRow",
    "WebhookAttemptRow",
    "WebhookDeliveryRow",
    "WebhookEndpointRow",
]
