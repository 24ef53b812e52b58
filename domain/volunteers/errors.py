"""Volunteer registry: errors."""

from __future__ import annotations

from domain.errors import Conflict, NotFound


class VolunteerNotFound(NotFound):
    def __init__(self, volunteer_id: object = None) -> None:
        super().__init__(
            "No volunteer with that id."
            if volunteer_id is None
            else f"No volunteer with id '{volunteer_id}'."
        )


class NoVolunteerProfile(NotFound):
    def __init__(self) -> None:
        super().__init__("The signed-in account has no volunteer profile.")


class VolunteerNotActive(Conflict):
    def __init__(self, what: str, status: str) -> None:
        super().__init__(f"Cannot {what} a volunteer in status '{status}'.")


class VolunteerErased(Conflict):
    def __init__(self) -> None:
        super().__init__("This volunteer's personal data was erased; it cannot be changed.")


class ActivationCodeInvalid(NotFound):
    """Wrong, used or expired: the client is not told which."""

    def __init__(self) -> None:
        super().__init__("The activation code is not valid (wrong, already used or expired).")
