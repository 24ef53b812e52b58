"""Request parameters and response schemas of the auditors' API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import ConfigDict, Field

from api.headers import CONTENT_DISPOSITION, Header
from api.pagination import PagePublic
from api.schemas import ApiModel
from domain.audit.model import AuditAction, AuditEntry, AuditExportFormat, AuditFilter
from domain.pagination import SeqCursor

#: seq is a BIGINT.
MAX_SEQ = 2**63 - 1

_EXAMPLE_ENTRY: dict[str, Any] = {
    "seq": 1042,
    "occurred_at": "2026-11-25T10:15:02.123456Z",
    "actor_id": "3f0c8a52-6a4e-4c8b-9a55-1b2f0d7e9c11",
    "actor_role": "admin",
    "action": "user.role_changed",
    "entity_type": "account",
    "entity_id": "8d1e2f34-0b5c-4a7e-9f61-2c3d4e5f6a7b",
    "province_code": "40",
    "request_id": "5f0c2a4e9b7d4c1e8f3a6b2d9e0c1f47",
    "details": {"from_role": "volunteer", "to_role": "provincial_officer"},
    "prev_hash": "9b1c4f0e6d2a8b3c5e7f9a1b3d5c7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d",
    "hash": "4e2a9c7b1d3f5e8a0c2b4d6f8e1a3c5b7d9f0e2a4c6b8d1f3e5a7c9b0d2f4e6a",
}


class AuditEntryPublic(ApiModel):
    """One entry of the chain, with the fields its hash is computed over (see docs/audit.md)."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_EXAMPLE_ENTRY]}
    )

    seq: int = Field(description="Position in the chain: 1, 2, 3, ... without gaps")
    occurred_at: datetime
    actor_id: str = Field(description="Account id, or `anonymous` / `reporter` / `system`")
    actor_role: str | None
    action: AuditAction = Field(
        description="What happened: `<family>.<verb>`, e.g. `auth.login_failed`, `tip.viewed`"
    )
    entity_type: str | None
    entity_id: str | None
    province_code: str | None
    request_id: str | None = Field(description="X-Request-ID of the request that wrote it")
    details: dict[str, Any] = Field(description="Ids, statuses, roles, counts; never content")
    prev_hash: str = Field(description="Hash of entry seq-1 (64 zeros for seq 1)")
    hash: str = Field(description="SHA-256 (hex) of the canonical encoding of this entry")

    @staticmethod
    def values(entry: AuditEntry) -> dict[str, Any]:
        """The entry as plain values, for `AuditEntryPage.render` (no model per item)."""
        return {
            "seq": entry.seq,
            "occurred_at": entry.occurred_at,
            "actor_id": entry.actor_id,
            "actor_role": entry.actor_role,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_id": entry.entity_id,
            "province_code": entry.province_code,
            "request_id": entry.request_id,
            "details": entry.details,
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
        }


class AuditEntryPage(PagePublic[AuditEntryPublic]):
    """A page of entries, newest first; `next_cursor` leads to older ones."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [_EXAMPLE_ENTRY], "next_cursor": SeqCursor(1042).encode()}]
        }
    )


class AuditVerificationPublic(ApiModel):
    """Whether the chain holds over a range of sequence numbers."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "valid": True,
                    "from_seq": 1,
                    "to_seq": 1042,
                    "checked": 1042,
                    "head_hash": _EXAMPLE_ENTRY["hash"],
                    "first_broken_seq": None,
                    "reason": None,
                },
                {
                    "valid": False,
                    "from_seq": 1,
                    "to_seq": 1042,
                    "checked": 6,
                    "head_hash": _EXAMPLE_ENTRY["prev_hash"],
                    "first_broken_seq": 7,
                    "reason": "Entry 7 was altered: its content does not match its hash.",
                },
            ]
        },
    )

    valid: bool
    from_seq: int
    to_seq: int
    checked: int = Field(description="Entries that verified before the first break (or all)")
    head_hash: str | None = Field(
        description="Hash of the last entry that verified: entry to_seq when valid. Keep it: "
        "a later verification up to the same seq must end with the same hash"
    )
    first_broken_seq: int | None = Field(description="Where the chain breaks, when it does")
    reason: str | None = Field(description="Why it breaks there")


# --------------------------------------------------------------------------------------
# Query parameters: the filters shared by the list and the export, and the verified range.
# --------------------------------------------------------------------------------------


async def audit_filter(
    actor_id: Annotated[
        str | None, Query(max_length=64, description="Account id, `anonymous` or `system`")
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            description="An action (`tip.submitted`), or a prefix ending with '.' (`tip.`)",
            examples=["auth.login_failed", "tip."],
        ),
    ] = None,
    entity_type: Annotated[str | None, Query(max_length=32, examples=["account"])] = None,
    entity_id: Annotated[str | None, Query(max_length=64, description="Needs entity_type")] = None,
    province_code: Annotated[
        str | None, Query(max_length=5, description='"40" or "TH-40"', examples=["40"])
    ] = None,
    occurred_from: Annotated[
        datetime | None, Query(description="Entries at or after this instant (with a time zone)")
    ] = None,
    occurred_to: Annotated[
        datetime | None,
        Query(description="Entries strictly before this instant (with a time zone)"),
    ] = None,
) -> AuditFilter:
    """The auditor's criteria; an invalid combination is a 422 problem (InvalidAuditFilter)."""
    return AuditFilter.build(
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        province_code=province_code,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )


#: The filters of a list or an export: every one optional, all given ones must hold.
Criteria = Annotated[AuditFilter, Depends(audit_filter)]

FromSeq = Annotated[int, Query(ge=1, le=MAX_SEQ, description="First entry to check")]
ToSeq = Annotated[
    int | None, Query(ge=1, le=MAX_SEQ, description="Last entry to check; default: the newest")
]
ExportFormatParam = Annotated[AuditExportFormat, Query(description="ndjson or csv")]


# --------------------------------------------------------------------------------------
# The export: a streamed file, documented here (it has no response model).
# --------------------------------------------------------------------------------------

EXPORT_MEDIA_TYPES = {
    AuditExportFormat.NDJSON: "application/x-ndjson",
    AuditExportFormat.CSV: "text/csv; charset=utf-8",
}
EXPORT_SEQ: Header = (
    "X-Audit-Export-Seq",
    {
        "description": "seq of the `audit.exported` entry of this export",
        "schema": {"type": "integer"},
    },
)
_NDJSON_EXAMPLE = (
    '{"seq":1,"occurred_at":"2026-11-25T10:00:00.000000Z","actor_id":"system",'
    '"actor_role":null,"action":"audit.exported","entity_type":"audit_log","entity_id":null,'
    '"province_code":null,"request_id":"5f0c2a4e9b7d4c1e","details":{"filters":{},'
    '"format":"ndjson"},"prev_hash":"' + "0" * 64 + '","hash":"' + _EXAMPLE_ENTRY["hash"] + '"}\n'
)
_CSV_EXAMPLE = (
    "seq,occurred_at,actor_id,actor_role,action,entity_type,entity_id,province_code,"
    "request_id,details,prev_hash,hash\r\n"
)
EXPORT_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The matching entries in seq order, streamed. Each row holds the "
        "canonical fields and `hash` (see docs/audit.md); CSV cells are empty for null "
        "and `details` is canonical JSON. `X-Audit-Export-Seq` names the entry that "
        "records this export; the export covers entries up to and including it.",
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"}, "example": _NDJSON_EXAMPLE},
            "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
        },
        "headers": dict([EXPORT_SEQ, CONTENT_DISPOSITION]),
    }
}
