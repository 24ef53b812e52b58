"""Contact details shared by features: e-mail addresses and phone numbers."""

from __future__ import annotations

import re

from domain.errors import InvalidInput

SEPARATORS = re.compile(r"[\s\-().]")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
#: Any phone a reporter may give (mobile, landline, abroad): ASCII digits, optional '+'.
_ANY_PHONE = re.compile(r"^\+?[0-9]{9,15}$")


def normalize_email(raw: str | None) -> str | None:
    """None for blank; otherwise a valid address with its domain in lower case."""
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidInput("The email address is not valid.")
    local, _, domain_part = value.rpartition("@")
    return f"{local}@{domain_part.lower()}"


def normalize_any_phone(raw: str | None) -> str | None:
    """None for blank; otherwise 9-15 digits (an optional leading '+'), separators removed."""
    if raw is None or not raw.strip():
        return None
    value = SEPARATORS.sub("", raw)
    if not _ANY_PHONE.match(value):
        raise InvalidInput("The phone number is not valid: 9 to 15 digits, e.g. 0812345678.")
    return value
