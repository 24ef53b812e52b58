"""Errors of the investigations feature. Details never echo case content."""

from __future__ import annotations

from domain.errors import Conflict, InvalidInput, NotFound


class InvestigationNotFound(NotFound):
    def __init__(self, investigation_id: object) -> None:
        super().__init__(f"No investigation with id '{investigation_id}'.")


class InvestigationConcluded(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "The investigation is concluded: a central officer must reopen it before it "
            "can be changed."
        )


class NotAssignable(InvalidInput):
    """The account cannot work on the investigation (its role, province or state)."""

    def __init__(self) -> None:
        super().__init__(
            "That account cannot be assigned: it must be an active investigator, central "
            "officer, or provincial officer of the lead province whose office no linked tip "
            "accuses."
        )


class TipAlreadyInvestigated(Conflict):
    """A tip is in at most one open investigation (the database refuses a second)."""

    def __init__(self) -> None:
        super().__init__("A tip of this request is already in another open investigation.")


class ReferralNotFound(NotFound):
    def __init__(self, referral_id: object) -> None:
        super().__init__(f"No referral with id '{referral_id}'.")


class NotReadyForReferral(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "Only an investigation concluded as 'referred' is referred to an agency: "
            "conclude it with that outcome first."
        )


class AlreadyReferred(Conflict):
    """At most one referral that is not declined (the database refuses a second)."""

    def __init__(self) -> None:
        super().__init__(
            "The investigation is already referred to an agency; it can be referred again "
            "only once that agency has declined it."
        )
