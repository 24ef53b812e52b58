"""Audit trail: errors."""

from __future__ import annotations

from domain.errors import InvalidInput


class AuditDetailsRejected(ValueError):
    """A programming error: someone tried to put confidential data in an audit entry."""


class UnknownAuditAction(ValueError):
    """A programming error: a use case recorded an action that is not an `AuditAction`."""

    def __init__(self, action: str) -> None:
        super().__init__(f"'{action}' is not an audit action (see domain.audit.model.AuditAction)")


class InvalidAuditFilter(InvalidInput):
    """A filter or range of an audit-log query that cannot be honoured."""
