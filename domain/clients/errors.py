"""Errors of the API clients feature."""

from __future__ import annotations

from uuid import UUID

from domain.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, TooManyRequests


class ClientNotFound(NotFound):
    def __init__(self, client_id: UUID | str) -> None:
        super().__init__(f"No API client has the id '{str(client_id)[:64]}'.")


class InvalidClient(NotAuthenticated):
    """RFC 6749 section 5.2 `invalid_client`: one answer for an unknown client, a wrong
    secret, an expired previous secret and a revoked client."""

    def __init__(self) -> None:
        super().__init__("The client credentials are wrong, or the client cannot sign in.")


class ClientLocked(TooManyRequests):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many failed client authentications: this client id is locked for a while. "
            "Try again after the Retry-After delay.",
            retry_after=retry_after,
        )


class InvalidScope(InvalidInput):
    """RFC 6749 section 5.2 `invalid_scope`: unknown, or more than the client holds."""


class ClientRevoked(Conflict):
    def __init__(self) -> None:
        super().__init__("This API client is revoked: register a new one.")
