"""Signing in: errors."""

from __future__ import annotations

from domain.errors import NotAuthenticated


class InvalidCredentials(NotAuthenticated):
    """The same answer for an unknown username, a wrong password and a disabled account."""

    def __init__(self) -> None:
        super().__init__("The username or password is wrong.")


class InvalidRefreshToken(NotAuthenticated):
    def __init__(self) -> None:
        super().__init__("The refresh token is invalid, expired or revoked: sign in again.")
