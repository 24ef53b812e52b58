"""Key rotation: re-seal every sealed value under the current data key, re-make every
keyed hash under the current hash key.

Both run in batches of short transactions (each batch's rows locked until its commit), so
the service keeps running; both are resumable and idempotent: a value already under the
current key is skipped, so a run stopped half-way (a crash, Ctrl-C) is simply started
again. Every value stays readable throughout, because the old keys stay listed until the
run reports nothing left under them. Each run writes one audit entry, with counts only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from uuid import UUID

from domain.audit.model import SYSTEM, AuditAction, DetailValue
from domain.keys.model import Batch, ColumnReport, RotationReport
from domain.keys.ports import KeyMaintenance, KeysUnitOfWork

#: Rows per transaction: small enough that the locks are held for milliseconds.
BATCH_SIZE = 200

OpenKeysUow = Callable[[], AbstractAsyncContextManager[KeysUnitOfWork]]
Step = Callable[[KeyMaintenance, str, UUID | None, int], Awaitable[Batch]]


async def _run_column(open_uow: OpenKeysUow, column: str, step: Step, size: int) -> ColumnReport:
    report = ColumnReport(column)
    after: UUID | None = None
    while True:
        async with open_uow() as uow:
            batch = await step(uow.keys, column, after, size)
            await uow.commit()
        report.done += batch.done
        report.unreadable += batch.unreadable
        if batch.seen < size or batch.last_id is None:
            return report
        after = batch.last_id


async def _record(
    open_uow: OpenKeysUow, action: AuditAction, details: dict[str, DetailValue]
) -> None:
    async with open_uow() as uow:
        await uow.audit.record(SYSTEM, action, entity_type="keys", details=details)
        await uow.commit()


async def rotate_data_key(open_uow: OpenKeysUow, *, batch_size: int = BATCH_SIZE) -> RotationReport:
    """Re-seal every sealed value of every feature under the current data key."""

    async def step(keys: KeyMaintenance, column: str, after: UUID | None, size: int) -> Batch:
        return await keys.reseal(column, after=after, limit=size)

    async with open_uow() as uow:
        report = RotationReport(key_id=uow.keys.data_key_id)
        columns = uow.keys.sealed_columns()
    for column in columns:
        report.columns.append(await _run_column(open_uow, column, step, batch_size))
    await _record(
        open_uow,
        AuditAction.KEYS_DATA_RESEALED,
        {
            "key_id": report.key_id,
            "resealed": report.done,
            "unreadable": report.unreadable,
            "columns": len(report.columns),
        },
    )
    return report


async def rehash(open_uow: OpenKeysUow, *, batch_size: int = BATCH_SIZE) -> RotationReport:
    """Re-make every keyed hash that can be re-made under the current hash key, and count
    those that cannot (receipts) by the key they are under."""

    async def step(keys: KeyMaintenance, column: str, after: UUID | None, size: int) -> Batch:
        return await keys.rehash(column, after=after, limit=size)

    async with open_uow() as uow:
        report = RotationReport(key_id=uow.keys.hash_key_id)
        columns = uow.keys.keyed_hash_columns()
        presented = uow.keys.presented_hash_columns()
    for column in columns:
        report.columns.append(await _run_column(open_uow, column, step, batch_size))
    async with open_uow() as uow:
        for column in presented:
            report.waiting[column] = await uow.keys.hashes_by_key(column)
    await _record(
        open_uow,
        AuditAction.KEYS_REHASHED,
        {
            "key_id": report.key_id,
            "rehashed": report.done,
            "unreadable": report.unreadable,
            "columns": len(report.columns),
            "awaiting_presentation": report.still_waiting,
        },
    )
    return report
