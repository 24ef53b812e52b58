"""Every table, imported once so that the metadata knows them all (Alembic, tests)."""

from persistence.accounts.tables import AccountRow
from persistence.agencies.tables import AgencyRow
from persistence.audit.tables import AuditRow, AuditShipmentRow
from persistence.idempotency import IdempotencyRow
from persistence.investigations.tables import (
    InvestigationAssignmentRow,
    InvestigationCounterRow,
    InvestigationRow,
    InvestigationTimelineRow,
    InvestigationTipRow,
    ReferralRow,
)
from persistence.provinces.tables import ProvinceRow
from persistence.sessions.tables import LoginThrottleRow, RefreshTokenRow
from persistence.tips.tables import (
    TipCounterRow,
    TipDisclosureRow,
    TipEventRow,
    TipLinkRow,
    TipMessageRow,
    TipRow,
)
from persistence.volunteers.tables import VolunteerRow, VolunteerStatusRow, VolunteerTrainingRow

__all__ = [
    "AccountRow",
    "AgencyRow",
    "AuditRow",
    "AuditShipmentRow",
    "IdempotencyRow",
    "InvestigationAssignmentRow",
    "InvestigationCounterRow",
    "InvestigationRow",
    "InvestigationTimelineRow",
    "InvestigationTipRow",
    "LoginThrottleRow",
    "ProvinceRow",
    "ReferralRow",
    "RefreshTokenRow",
    "TipCounterRow",
    "TipDisclosureRow",
    "TipEventRow",
    "TipLinkRow",
    "TipMessageRow",
    "TipRow",
    "VolunteerRow",
    "VolunteerStatusRow",
    "VolunteerTrainingRow",
]
