"""Audit trail: errors."""

from __future__ import annotations

from domain.errors import InvalidInput


class AuditDetailsRejected(ValueError):
    """A programming error: someone tried to put confidential data in an audit entry."""


class InvalidAuditFilter(InvalidInput):
    """A filter, cursor or range of an audit-log query that cannot be honoured."""
