"""The auditors' API: query, verify and export the tamper-evident audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import ConfigDict, Field
from starlette.responses import StreamingResponse

from api.deps import OpenUow, Uow, requires
from api.pagination import Paging
from api.problems import problem_responses
from api.schemas import ApiModel
from domain.audit.model import (
    AuditAction,
    AuditEntry,
    AuditFilter,
    ExportFormat,
)
from domain.audit.use_cases import (
    AuditExport,
    ChainVerification,
    list_audit_entries,
    start_audit_export,
    stream_audit_export,
    verify_audit_chain,
)
from domain.pagination import SeqCursor
from domain.policy import Action, Principal

router = APIRouter(prefix="/api/v1/audit-log", tags=["audit"])

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

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_ENTRY]})

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

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryPublic:
        return cls(
            seq=entry.seq,
            occurred_at=entry.occurred_at,
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            action=entry.action,
            entity_type=entry.entity_type,
            entity_id=entry.entity_id,
            province_code=entry.province_code,
            request_id=entry.request_id,
            details=dict(entry.details),
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class AuditPagePublic(ApiModel):
    """A page of entries, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [_EXAMPLE_ENTRY], "next_cursor": SeqCursor(1042).encode()}]
        }
    )

    items: list[AuditEntryPublic]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last page"
    )


class AuditVerificationPublic(ApiModel):
    """Whether the chain holds over a range of sequence numbers."""

    model_config = ConfigDict(
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
        }
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

    @classmethod
    def of(cls, result: ChainVerification) -> AuditVerificationPublic:
        return cls(
            valid=result.valid,
            from_seq=result.from_seq,
            to_seq=result.to_seq,
            checked=result.checked,
            head_hash=result.head_hash,
            first_broken_seq=result.first_broken_seq,
            reason=result.reason,
        )


Reader = Annotated[Principal | None, requires(Action.AUDIT_READ)]
Verifier = Annotated[Principal | None, requires(Action.AUDIT_VERIFY)]
Exporter = Annotated[Principal | None, requires(Action.AUDIT_EXPORT)]

ActorId = Annotated[
    str | None, Query(max_length=64, description="Account id, `anonymous` or `system`")
]
ActionFilter = Annotated[
    str | None,
    Query(
        max_length=64,
        description="An action (`tip.submitted`), or a prefix ending with '.' (`tip.`)",
        examples=["auth.login_failed", "tip."],
    ),
]
EntityType = Annotated[str | None, Query(max_length=32, examples=["account"])]
EntityId = Annotated[str | None, Query(max_length=64, description="Needs entity_type")]
ProvinceCode = Annotated[
    str | None, Query(max_length=5, description='"40" or "TH-40"', examples=["40"])
]
OccurredFrom = Annotated[
    datetime | None, Query(description="Entries at or after this instant (with a time zone)")
]
OccurredTo = Annotated[
    datetime | None, Query(description="Entries strictly before this instant (with a time zone)")
]


def _criteria(
    actor_id: str | None,
    action: str | None,
    entity_type: str | None,
    entity_id: str | None,
    province_code: str | None,
    occurred_from: datetime | None,
    occurred_to: datetime | None,
) -> AuditFilter:
    return AuditFilter.build(
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        province_code=province_code,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )


@router.get("", response_model=AuditPagePublic, responses=problem_responses(401, 403, 422))
async def audit_log_list(
    uow: Uow,
    caller: Reader,
    actor_id: ActorId = None,
    action: ActionFilter = None,
    entity_type: EntityType = None,
    entity_id: EntityId = None,
    province_code: ProvinceCode = None,
    occurred_from: OccurredFrom = None,
    occurred_to: OccurredTo = None,
    *,
    paging: Paging,
) -> AuditPagePublic:
    """Query the audit log, newest first, with filters and keyset pagination.

    Auditors and admins only. Every filter is optional; all given ones must hold.
    """
    criteria = _criteria(
        actor_id, action, entity_type, entity_id, province_code, occurred_from, occurred_to
    )
    page = await list_audit_entries(uow, actor=caller, criteria=criteria, page=paging.by_seq())
    return AuditPagePublic(
        items=[AuditEntryPublic.of(e) for e in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/verify",
    response_model=AuditVerificationPublic,
    responses=problem_responses(401, 403, 422),
)
async def audit_log_verify(
    uow: Uow,
    caller: Verifier,
    from_seq: Annotated[int, Query(ge=1, le=MAX_SEQ, description="First entry to check")] = 1,
    to_seq: Annotated[
        int | None,
        Query(ge=1, le=MAX_SEQ, description="Last entry to check; default: the newest"),
    ] = None,
) -> AuditVerificationPublic:
    """Recompute the hash chain over a range and report where it breaks, if anywhere.

    The first entry of the range must link to entry from_seq-1 (or to the genesis hash
    for seq 1). Entries are read in batches, so any range is verified in constant memory.
    """
    result = await verify_audit_chain(uow, actor=caller, from_seq=from_seq, to_seq=to_seq)
    return AuditVerificationPublic.of(result)


_MEDIA_TYPES = {
    ExportFormat.NDJSON: "application/x-ndjson",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}
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
#: Bytes gathered before a chunk is sent (fewer, larger writes; memory stays bounded).
_CHUNK_BYTES = 64 * 1024


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The matching entries in seq order, streamed. Each row holds the "
            "canonical fields and `hash` (see docs/audit.md); CSV cells are empty for null "
            "and `details` is canonical JSON. `X-Audit-Export-Seq` names the entry that "
            "records this export; the export covers entries up to and including it.",
            "content": {
                "application/x-ndjson": {
                    "schema": {"type": "string"},
                    "example": _NDJSON_EXAMPLE,
                },
                "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
            },
            "headers": {
                "X-Audit-Export-Seq": {
                    "description": "seq of the `audit.exported` entry of this export",
                    "schema": {"type": "integer"},
                }
            },
        },
        **problem_responses(401, 403, 422),
    },
)
async def audit_log_export(
    uow: Uow,
    open_uow: OpenUow,
    caller: Exporter,
    format: Annotated[ExportFormat, Query(description="ndjson or csv")] = ExportFormat.NDJSON,
    actor_id: ActorId = None,
    action: ActionFilter = None,
    entity_type: EntityType = None,
    entity_id: EntityId = None,
    province_code: ProvinceCode = None,
    occurred_from: OccurredFrom = None,
    occurred_to: OccurredTo = None,
) -> StreamingResponse:
    """Export the matching entries as NDJSON or CSV, streamed in constant memory.

    The export is itself audited (`audit.exported`, with the format and the filters) and
    that entry is committed before the first row is sent.
    """
    criteria = _criteria(
        actor_id, action, entity_type, entity_id, province_code, occurred_from, occurred_to
    )
    export = await start_audit_export(uow, actor=caller, criteria=criteria, fmt=format)
    extension = "csv" if format is ExportFormat.CSV else "ndjson"
    return StreamingResponse(
        _export_body(open_uow, export),
        media_type=_MEDIA_TYPES[format],
        headers={
            "X-Audit-Export-Seq": str(export.exported_seq),
            "Content-Disposition": (
                f'attachment; filename="audit-log-{export.exported_seq}.{extension}"'
            ),
            "Cache-Control": "no-store",
        },
    )


async def _export_body(open_uow: OpenUow, export: AuditExport) -> AsyncIterator[bytes]:
    # Its own unit of work (and connection): the request's one is finished by the time
    # the body is sent. Closed when the stream ends, fails or the client goes away.
    async with open_uow() as uow:
        pending: list[bytes] = []
        size = 0
        async for text in stream_audit_export(uow, export):
            data = text.encode("utf-8")
            pending.append(data)
            size += len(data)
            if size >= _CHUNK_BYTES:
                yield b"".join(pending)
                pending, size = [], 0
        if pending:
            yield b"".join(pending)
