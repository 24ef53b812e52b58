"""Accounts: errors."""

from __future__ import annotations

from domain.errors import Conflict, InvalidInput, NotFound, TooManyRequests


class AccountLocked(TooManyRequests):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many failed sign-ins: this account is locked for a while. "
            "Try again after the Retry-After delay, or ask an admin to reset the password.",
            retry_after=retry_after,
        )


class VolunteerAccountManagedByRegistry(Conflict):
    """Volunteer accounts follow their volunteer's lifecycle (approve, suspend, reinstate,
    retire, move): changing their role, province or active flag elsewhere would let a
    suspended or retired volunteer back in, or split account and record apart."""

    def __init__(self) -> None:
        super().__init__(
            "Volunteer accounts are managed through the volunteer registry "
            "(/api/v1/volunteers/{id}/approve, suspend, reinstate, retire, PATCH province_code); "
            "their role, province and active flag cannot be changed here."
        )


class AccountNotFound(NotFound):
    def __init__(self, account_id: object) -> None:
        super().__init__(f"No account with id '{account_id}'.")


class UsernameTaken(Conflict):
    def __init__(self) -> None:
        super().__init__("That username is already taken.")


class WrongCurrentPassword(InvalidInput):
    def __init__(self) -> None:
        super().__init__("The current password is wrong.")


class NotOwnAccountChange(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "An admin cannot deactivate their own account or change its role or province."
        )
