"""Errors of the tips feature. Details never echo tip content or receipts."""

from __future__ import annotations

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound


class TipNotFound(NotFound):
    def __init__(self, tip_id: object) -> None:
        super().__init__(f"No tip with id '{tip_id}'.")


class ReceiptNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No tip matches this receipt. Check the code and try again.")


class UnknownProvince(InvalidInput):
    def __init__(self, code: str) -> None:
        super().__init__(f"No province has the code '{code[:8]}'.")


class ChannelNotAllowed(Forbidden):
    def __init__(self, channel: str) -> None:
        super().__init__(
            f"Tips taken by '{channel}' are recorded by officials; reporters use web or mobile."
        )


class TipLinkExists(Conflict):
    def __init__(self) -> None:
        super().__init__("These tips are already linked.")


class InternalNoteNotAllowed(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only officials may write internal notes.")


class RecusedOfficeCannotRecord(Conflict):
    """A provincial officer tried to record a tip accusing their own provincial office."""

    def __init__(self) -> None:
        super().__init__(
            "This tip accuses your own provincial labour office, so it is recused from your "
            "province: it must be recorded by the central centre (central officers), not by "
            "your office. Refer the reporter to the central hotline or the web form."
        )


class DisclosureNotFound(NotFound):
    def __init__(self, request_id: object) -> None:
        super().__init__(f"No disclosure request with id '{request_id}'.")


class NothingToDisclose(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This tip's reporter is anonymous and left no contact details: there is no "
            "identity to disclose."
        )
