"""Domain errors: plain exceptions that know nothing about HTTP.

`api/errors.py` holds the one table that maps each of them to a status code and a
problem type. Messages are written for the client: they must never contain secrets,
tip content or personal data.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The record does not exist, or the caller may not know that it exists."""


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, an existing record)."""


class InvalidTransition(Conflict):
    """A state machine refused a transition."""

    def __init__(self, entity: str, current: str, target: str) -> None:
        super().__init__(f"A {entity} in status '{current}' cannot move to '{target}'.")
        self.current = current
        self.target = target


class PreconditionFailed(DomainError):
    """An optimistic-concurrency check failed (stale ETag / version)."""


class PreconditionRequired(DomainError):
    """The request must be conditional (an If-Match header is required)."""


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a domain rule."""


class NotAuthenticated(DomainError):
    """No valid credentials were presented."""


class Forbidden(DomainError):
    """The caller's role may not perform this action at all."""


class TooManyRequests(DomainError):
    """A rate limit or lockout applies; retry after the given number of seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """A dependency the request needs is not available."""
