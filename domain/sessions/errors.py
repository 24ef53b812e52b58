"""Signing in: errors."""

from __future__ import annotations

from uuid import UUID

from domain.errors import NotAuthenticated, NotFound


class InvalidCredentials(NotAuthenticated):
    """The same answer for an unknown username, a wrong password and a disabled account."""

    def __init__(self) -> None:
        super().__init__("The username or password is wrong.")


class InvalidRefreshToken(NotAuthenticated):
    def __init__(self) -> None:
        super().__init__("The refresh token is invalid, expired or revoked: sign in again.")


class SessionNotFound(NotFound):
    """No live session with this id for this account (ended, expired, or someone else's)."""

    def __init__(self, session_id: UUID) -> None:
        super().__init__(f"No live session {session_id}.")
