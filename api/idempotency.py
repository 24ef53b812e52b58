"""The `Idempotency-Key` request header, turned into a domain IdempotencyKey."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import Header
from pydantic import BaseModel

from domain.idempotency import IdempotencyKey
from domain.policy import Principal

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            "A client-generated random key (16-128 characters, e.g. a UUID). Retrying a "
            "request with the same key and body returns the original response instead of "
            "creating a duplicate; keys are scoped to the caller and kept for 24 hours."
        ),
        examples=["6f1c9a8e-2b4d-4f7a-9c3e-1d2b3a4c5e6f"],
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
