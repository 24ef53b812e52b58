"""Validation and normalisation of a volunteer's identifying data (pure functions).

Every function raises `InvalidInput` (422) with a message that never repeats the value.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from domain.contact import SEPARATORS
from domain.contact import normalize_email as normalize_email
from domain.errors import InvalidInput

#: Thailand has no daylight saving time: ages are counted on the Bangkok calendar.
BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
ADULT_AGE = 18

_THIRTEEN_DIGITS = re.compile(r"^[0-9]{13}$")
_THAI_MOBILE_LOCAL = re.compile(r"^0([689][0-9]{8})$")
_THAI_MOBILE_INTL = re.compile(r"^\+66([689][0-9]{8})$")
_THAI_LETTER = re.compile(r"[\u0E01-\u0E2E]")


def national_id_check_digit(first_twelve: str) -> int:
    """`(11 - (sum(d[i] * (13 - i) for i in 0..11) % 11)) % 10`."""
    total = sum(int(digit) * (13 - i) for i, digit in enumerate(first_twelve))
    return (11 - total % 11) % 10


def is_valid_national_id(value: str) -> bool:
    return bool(_THIRTEEN_DIGITS.match(value)) and (
        national_id_check_digit(value[:12]) == int(value[12])
    )


def normalize_national_id(raw: str) -> str:
    """13 digits (spaces and hyphens as in '1-1017-00230-70-8' are dropped), check digit valid."""
    value = SEPARATORS.sub("", raw)
    if not _THIRTEEN_DIGITS.match(value):
        raise InvalidInput("A Thai national ID has exactly 13 digits.")
    if not is_valid_national_id(value):
        raise InvalidInput("The national ID's check digit is wrong: please check the number.")
    return value


def mask_national_id(last4: str | None) -> str | None:
    """'*********0708' from the last four digits; None when nothing is held any more."""
    return None if last4 is None else "*" * 9 + last4


def normalize_phone(raw: str) -> str:
    """A Thai mobile number (06/08/09 + 8 digits, or +66...) as E.164: '+66812345678'."""
    value = SEPARATORS.sub("", raw)
    match = _THAI_MOBILE_LOCAL.match(value) or _THAI_MOBILE_INTL.match(value)
    if not match:
        raise InvalidInput(
            "The phone must be a Thai mobile number: 10 digits starting with 06, 08 or 09, "
            "or +66 followed by 9 digits."
        )
    return "+66" + match.group(1)


def age_on(born: date, day: date) -> int:
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


def check_date_of_birth(born: date, *, now: datetime) -> date:
    """Adults only: at least 18 on the Bangkok calendar day of `now`."""
    today = now.astimezone(BANGKOK).date()
    if born > today:
        raise InvalidInput("The date of birth is in the future.")
    if born.year < 1900:
        raise InvalidInput("The date of birth is not plausible.")
    if age_on(born, today) < ADULT_AGE:
        raise InvalidInput(f"Volunteers must be at least {ADULT_AGE} years old.")
    return born


def clean_text(
    raw: str | None, *, field: str, max_length: int, required: bool = False
) -> str | None:
    """Strip; refuse control characters and overlong values; empty means absent."""
    value = (raw or "").strip()
    if not value:
        if required:
            raise InvalidInput(f"'{field}' is required.")
        return None
    if len(value) > max_length:
        raise InvalidInput(f"'{field}' is longer than {max_length} characters.")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise InvalidInput(f"'{field}' contains control characters.")
    return value


def normalize_full_name_th(raw: str) -> str:
    value = clean_text(raw, field="full_name_th", max_length=200, required=True)
    assert value is not None
    if not _THAI_LETTER.search(value):
        raise InvalidInput("'full_name_th' must be written in Thai script.")
    return " ".join(value.split())


def normalize_full_name_en(raw: str | None) -> str | None:
    value = clean_text(raw, field="full_name_en", max_length=200)
    return None if value is None else " ".join(value.split())
