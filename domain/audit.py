"""The tamper-evident audit trail: entries, their canonical encoding and hash chain.

Every entry is hashed as SHA-256 over its canonical encoding, which includes the hash of
the previous entry, so altering, removing or reordering any entry breaks every later
hash. The encoding (see docs/audit.md) is JSON with sorted keys, no insignificant
whitespace, UTF-8, of exactly these fields:

    seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id,
    province_code, request_id, details, prev_hash

`occurred_at` is written as ISO 8601 UTC with microseconds and a `Z` suffix.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TypeAlias

from domain.policy import Principal

GENESIS_HASH = "0" * 64

#: JSON-compatible values allowed in `details`: no floats, so hashes survive a jsonb round trip.
DetailValue: TypeAlias = "str | int | bool | list[DetailValue] | dict[str, DetailValue] | None"

#: Substrings of detail keys that would carry confidential data; refused where entries are built.
FORBIDDEN_DETAIL_KEYS = (
    "password",
    "secret",
    "token",
    "receipt",
    "national_id",
    "nationalid",
    "description",
    "content",
    "message",
    "body",
    "contact",
    "phone",
    "email",
    "address",
    "name",
    "accused",
    "reporter",
    "activation",
    "birth",
)
_MAX_DETAIL_STRING = 200
_MAX_DETAILS_BYTES = 4096
_THIRTEEN_DIGITS = re.compile(r"\d{13}")


class AuditDetailsRejected(ValueError):
    """A programming error: someone tried to put confidential data in an audit entry."""


@dataclass(frozen=True, slots=True)
class AuditActor:
    """Who acted: an account (id and role), `anonymous` or `system`."""

    id: str
    role: str | None = None

    @classmethod
    def of(cls, principal: Principal | None) -> AuditActor:
        if principal is None:
            return ANONYMOUS
        return cls(id=str(principal.account_id), role=str(principal.role))


ANONYMOUS = AuditActor("anonymous")
SYSTEM = AuditActor("system")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    occurred_at: datetime
    actor_id: str
    actor_role: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    province_code: str | None
    request_id: str | None
    details: dict[str, DetailValue] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    def canonical(self) -> bytes:
        return canonical_encoding(self)

    def computed_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


def format_timestamp(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_encoding(entry: AuditEntry) -> bytes:
    document = {
        "seq": entry.seq,
        "occurred_at": format_timestamp(entry.occurred_at),
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "province_code": entry.province_code,
        "request_id": entry.request_id,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def check_details(details: dict[str, DetailValue]) -> None:
    """Refuse details that could carry confidential data (see FORBIDDEN_DETAIL_KEYS)."""

    def walk(value: DetailValue, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                lowered = key.lower()
                for forbidden in FORBIDDEN_DETAIL_KEYS:
                    if forbidden in lowered:
                        raise AuditDetailsRejected(f"audit detail key '{path}{key}' is not allowed")
                walk(inner, f"{path}{key}.")
        elif isinstance(value, list):
            for item in value:
                walk(item, path)
        elif isinstance(value, float):
            raise AuditDetailsRejected(f"audit detail '{path}' is a float; use int or str")
        elif isinstance(value, str):
            if len(value) > _MAX_DETAIL_STRING:
                raise AuditDetailsRejected(f"audit detail '{path}' is longer than allowed")
            if _THIRTEEN_DIGITS.search(value):
                raise AuditDetailsRejected(f"audit detail '{path}' looks like a national ID")
        elif value is not None and not isinstance(value, (bool, int)):
            raise AuditDetailsRejected(f"audit detail '{path}' has unsupported type")

    walk(details, "")
    if len(json.dumps(details, ensure_ascii=False).encode("utf-8")) > _MAX_DETAILS_BYTES:
        raise AuditDetailsRejected("audit details are too large")


class AuditLog(Protocol):
    """Appends entries to the chain inside the caller's transaction."""

    async def record(
        self,
        actor: AuditActor,
        action: str,
        *,
        entity_type: str | None = None,
        entity_id: object | None = None,
        province_code: str | None = None,
        details: dict[str, DetailValue] | None = None,
    ) -> AuditEntry: ...

    async def viewed(
        self,
        actor: AuditActor,
        entity_type: str,
        entity_id: object,
        *,
        province_code: str | None = None,
        fields: list[str] | None = None,
    ) -> AuditEntry:
        """Record that the actor read a sensitive record in full (action `<type>.viewed`)."""
        ...
