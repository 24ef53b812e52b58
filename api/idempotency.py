"""The `Idempotency-Key` request header, turned into a domain IdempotencyKey."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import Header
from pydantic import BaseModel, WithJsonSchema

from domain.idempotency import IdempotencyKey
from domain.policy import Principal

#: The rule IdempotencyKey.parse applies (domain/idempotency.py; a test keeps them equal).
KEY_PATTERN = "^[A-Za-z0-9._:-]{16,128}$"

#: Declared optional and documented with its rule only (WithJsonSchema does not validate):
#: a key that breaks the rule is the domain's 422 `invalid-input` problem, as before.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            "A client-generated random key: 16-128 letters, digits, `.`, `_`, `:` or `-` "
            "(a random UUID is ideal). Retrying a request with the same key and body "
            "returns the original response (with `Idempotent-Replayed: true`) instead of "
            "creating a duplicate; keys are scoped to the caller and kept for 24 hours. "
            "A key that breaks the rule, or reused with a different body, is a 422 "
            "`invalid-input` problem."
        ),
    ),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 16,
            "maxLength": 128,
            "pattern": KEY_PATTERN,
            "examples": ["6f1c9a8e-2b4d-4f7a-9c3e-1d2b3a4c5e6f"],
        }
    ),
]

#: Response header set when a stored outcome was replayed.
REPLAYED_HEADER = "Idempotent-Replayed"


def idempotency_key(
    header: str | None, *, caller: Principal | None, operation: str, body: BaseModel
) -> IdempotencyKey | None:
    """None without the header; otherwise a key scoped to the caller and the request."""
    if header is None:
        return None
    document = json.dumps(
        {"operation": operation, "body": body.model_dump(mode="json")},
        sort_keys=True,
        ensure_ascii=False,
    )
    return IdempotencyKey.parse(
        scope=str(caller.account_id) if caller else "anonymous",
        key=header,
        fingerprint=hashlib.sha256(document.encode()).hexdigest(),
    )
