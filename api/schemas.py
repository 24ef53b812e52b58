"""Shared pieces of API schemas."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError


class ApiModel(BaseModel):
    """Base of request and response schemas: unknown fields in requests are errors."""

    model_config = ConfigDict(extra="forbid")


#: A non-negative amount with at most 12 digits before the point and 2 after.
MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
_MONEY = re.compile(MONEY_PATTERN)


def _money_text(value: Any) -> Any:
    """Requests give money as a decimal string (JSON numbers are tolerated, checked alike)."""
    if isinstance(value, Decimal):  # from the domain (responses): checked by the constraints
        return value
    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _MONEY.match(text):
        raise PydanticCustomError(
            "money",
            "Give the amount as a non-negative decimal string with at most 12 digits before "
            'the point and 2 after, e.g. "5000.50"',
        )
    return text


#: Money in Thai baht: a `Decimal` in Python, a decimal string on the wire (never a float),
#: in requests and responses alike.
AmountTHB = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(ge=0, max_digits=14, decimal_places=2),
    PlainSerializer(lambda value: format(value, "f"), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "format": "decimal",
            "pattern": MONEY_PATTERN,
            "description": "Thai baht as a decimal string: up to 12 digits, at most 2 decimals",
            "examples": ["5000.00"],
        }
    ),
]
