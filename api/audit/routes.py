"""The auditors' API: query, verify and export the tamper-evident audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Response
from starlette.responses import StreamingResponse

from api.audit.schemas import (
    EXPORT_MEDIA_TYPES,
    EXPORT_RESPONSE,
    AuditEntryPage,
    AuditEntryPublic,
    AuditVerificationPublic,
    Criteria,
    ExportFormatParam,
    FromSeq,
    ToSeq,
)
from api.deps import OpenUow, Uow, requires
from api.pagination import Paging
from api.planning import PlannedRoute
from api.problems import problem_responses
from domain.audit.model import AuditExportFormat
from domain.audit.use_cases import (
    AuditExport,
    list_audit_entries,
    start_audit_export,
    stream_audit_export,
    verify_audit_chain,
)
from domain.policy import Action, Principal

router = APIRouter(prefix="/api/v1/audit-log", tags=["audit"], route_class=PlannedRoute)

Reader = Annotated[Principal | None, requires(Action.AUDIT_READ)]
Verifier = Annotated[Principal | None, requires(Action.AUDIT_VERIFY)]
Exporter = Annotated[Principal | None, requires(Action.AUDIT_EXPORT)]

#: Bytes gathered before a chunk is sent (fewer, larger writes; memory stays bounded).
_CHUNK_BYTES = 64 * 1024


@router.get("", response_model=AuditEntryPage, responses=problem_responses(401, 403, 422))
async def audit_log_list(uow: Uow, caller: Reader, criteria: Criteria, paging: Paging) -> Response:
    """Query the audit log, newest first, with filters and keyset pagination.

    Auditors and admins only. Every filter is optional; all given ones must hold. `action`
    matches one action exactly, or every action of a family when it ends with '.'
    (`tip.`). A filter that cannot be honoured (entity_id without entity_type, a time zone
    missing, an empty time range) or a cursor that does not decode is a 422 problem.
    """
    page = await list_audit_entries(uow, actor=caller, criteria=criteria, page=paging.by_seq())
    return AuditEntryPage.render(page, AuditEntryPublic.values)


@router.get(
    "/verify",
    response_model=AuditVerificationPublic,
    responses=problem_responses(401, 403, 422),
)
async def audit_log_verify(
    uow: Uow, caller: Verifier, from_seq: FromSeq = 1, to_seq: ToSeq = None
) -> AuditVerificationPublic:
    """Recompute the hash chain over a range and report where it breaks, if anywhere.

    Auditors and admins only. The first entry of the range must link to entry from_seq-1
    (or to the genesis hash for seq 1). Entries are read in batches, so any range is
    verified in constant memory. A range that is empty or starts beyond the newest entry
    is a 422 problem; a `to_seq` beyond it reports the first missing entry (a truncated
    tail).
    """
    result = await verify_audit_chain(uow, actor=caller, from_seq=from_seq, to_seq=to_seq)
    return AuditVerificationPublic.model_validate(result)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={**EXPORT_RESPONSE, **problem_responses(401, 403, 422)},
)
async def audit_log_export(
    uow: Uow,
    open_uow: OpenUow,
    caller: Exporter,
    criteria: Criteria,
    format: ExportFormatParam = AuditExportFormat.NDJSON,
) -> StreamingResponse:
    """Export the matching entries as NDJSON or CSV, streamed in constant memory.

    Auditors and admins only; the filters are those of the list. The export is itself
    audited (`audit.exported`, with the format and the filters) and that entry is
    committed before the first row is sent.
    """
    export = await start_audit_export(uow, actor=caller, criteria=criteria, fmt=format)
    extension = "csv" if format is AuditExportFormat.CSV else "ndjson"
    return StreamingResponse(
        _export_body(open_uow, export),
        media_type=EXPORT_MEDIA_TYPES[format],
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
    async with open_uow() as uow, aclosing(stream_audit_export(uow, export)) as texts:
        pending: list[bytes] = []
        size = 0
        async for text in texts:
            data = text.encode("utf-8")
            pending.append(data)
            size += len(data)
            if size >= _CHUNK_BYTES:
                yield b"".join(pending)
                pending, size = [], 0
        if pending:
            yield b"".join(pending)
