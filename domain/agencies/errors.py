"""Errors of the partner agencies registry."""

from __future__ import annotations

from domain.errors import Conflict, NotFound


class AgencyNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"No agency has the code '{code[:16]}'.")


class AgencyExists(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"An agency with the code '{code}' is already registered.")
