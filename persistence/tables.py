"""Imports every table module, so the metadata is complete (Alembic, tests)."""

from persistence.accounts import AccountRow
from persistence.audit import AuditRow
from persistence.idempotency import IdempotencyRow
from persistence.login_throttles import LoginThrottleRow
from persistence.provinces import ProvinceRow
from persistence.refresh_tokens import RefreshTokenRow
from persistence.tips import TipCounterRow, TipEventRow, TipLinkRow, TipMessageRow, TipRow
from persistence.volunteers import VolunteerRow, VolunteerStatusRow, VolunteerTrainingRow

__all__ = [
    "AccountRow",
    "AuditRow",
    "IdempotencyRow",
    "LoginThrottleRow",
    "ProvinceRow",
    "RefreshTokenRow",
    "TipCounterRow",
    "TipEventRow",
    "TipLinkRow",
    "TipMessageRow",
    "TipRow",
    "VolunteerRow",
    "VolunteerStatusRow",
    "VolunteerTrainingRow",
]
