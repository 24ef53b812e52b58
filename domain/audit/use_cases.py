"""Audit trail: auditors list, verify and export the chain."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from dataclasses import dataclass

from domain import policy
from domain.audit.errors import InvalidAuditFilter
from domain.audit.model import (
    BATCH_SIZE,
    EXPORT_FIELDS,
    GENESIS_HASH,
    AuditAction,
    AuditActor,
    AuditEntry,
    AuditExportFormat,
    AuditFilter,
    DetailValue,
    StoredEntry,
    csv_line,
    export_line_of_stored,
    stored_hash_input,
    stored_values,
)
from domain.audit.ports import AuditUnitOfWork
from domain.pagination import Page, PageRequest, SeqCursor, paginate
from domain.policy import Action, Principal


async def list_audit_entries(
    uow: AuditUnitOfWork,
    *,
    actor: Principal | None,
    criteria: AuditFilter,
    page: PageRequest[SeqCursor],
) -> Page[AuditEntry]:
    """One page of entries matching the criteria, newest first (seq descending)."""
    policy.require(actor, Action.AUDIT_READ)
    rows = await uow.audit_reader.page(criteria, page)
    return paginate(rows, page, key=lambda entry: SeqCursor(entry.seq))


@dataclass(frozen=True, slots=True)
class ChainVerification:
    """The outcome of recomputing the chain over from_seq..to_seq.

    `checked` counts the entries that verified before the first break (all of them when
    valid); `head_hash` is the hash of the last entry that verified (entry `to_seq` when
    valid), None when none did.
    """

    valid: bool
    from_seq: int
    to_seq: int
    checked: int
    head_hash: str | None
    first_broken_seq: int | None
    reason: str | None


class ChainVerifier:
    """Feed entries in seq order; stops at the first break. Holds one entry's state."""

    def __init__(self, from_seq: int, to_seq: int, prev_hash: str | None) -> None:
        """`prev_hash`: hash of entry from_seq-1 (GENESIS_HASH for seq 1), None if missing."""
        self.from_seq = from_seq
        self.to_seq = to_seq
        self._expected_seq = from_seq
        self._prev_hash = prev_hash
        self._checked = 0
        self._last_hash: str | None = None
        self._broken: tuple[int, str] | None = None

    @property
    def broken(self) -> bool:
        return self._broken is not None

    def feed(self, entry: AuditEntry) -> bool:
        """Check one entry; False once the chain is broken (feed no more)."""
        return self.feed_stored((stored_values(entry),))

    def feed_stored(self, batch: Iterable[StoredEntry]) -> bool:
        """Check stored entries (rows as the reader returns them) in order; False once the
        chain is broken (feed no more). One loop over the batch with its state in locals:
        this is the whole cost of verification besides reading the rows."""
        if self._broken is not None:
            return False
        expected, prev, checked = self._expected_seq, self._prev_hash, 0
        sha256, hash_input = hashlib.sha256, stored_hash_input
        try:
            for stored in batch:
                seq = stored[0]
                if seq != expected:
                    return self._break(
                        expected, f"Entry {expected} is missing (deleted or renumbered)."
                    )
                if prev is None:
                    return self._break(
                        seq, f"Entry {seq - 1}, which entry {seq} links to, is missing."
                    )
                if stored[10] != prev:
                    link = "the genesis hash" if seq == 1 else f"the hash of entry {seq - 1}"
                    return self._break(seq, f"prev_hash of entry {seq} does not match {link}.")
                if sha256(hash_input(stored)).hexdigest() != stored[11]:
                    return self._break(
                        seq, f"Entry {seq} was altered: its content does not match its hash."
                    )
                checked += 1
                prev = stored[11]
                expected = seq + 1
            return True
        finally:
            if checked:
                self._checked += checked
                self._prev_hash = self._last_hash = prev
                self._expected_seq = expected

    def _break(self, seq: int, reason: str) -> bool:
        self._broken = (seq, reason)
        return False

    def result(self) -> ChainVerification:
        if self._broken is None and self._expected_seq <= self.to_seq:
            missing = self._expected_seq
            self._broken = (missing, f"Entry {missing} is missing (deleted or never written).")
        seq, reason = self._broken if self._broken else (None, None)
        return ChainVerification(
            valid=self._broken is None,
            from_seq=self.from_seq,
            to_seq=self.to_seq,
            checked=self._checked,
            head_hash=self._last_hash,
            first_broken_seq=seq,
            reason=reason,
        )


async def verify_audit_chain(
    uow: AuditUnitOfWork,
    *,
    actor: Principal | None,
    from_seq: int = 1,
    to_seq: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> ChainVerification:
    """Recompute every hash and link in from_seq..to_seq (default: up to the newest entry).

    Entries are read in batches, so memory does not grow with the range. The first entry
    links to entry from_seq-1 (or to the genesis hash for seq 1). A `to_seq` beyond the
    newest entry reports the first missing entry: an auditor who noted the head earlier
    detects a truncated tail this way.
    """
    policy.require(actor, Action.AUDIT_VERIFY)
    if from_seq < 1:
        raise InvalidAuditFilter("from_seq is 1 or more.")
    if to_seq is None:
        head = await uow.audit_reader.head()
        to_seq = head[0] if head else 0
        if head is None and from_seq == 1:
            return ChainVerification(True, 1, 0, 0, None, None, None)
        if to_seq < from_seq:
            raise InvalidAuditFilter(
                f"from_seq ({from_seq}) is beyond the newest entry ({to_seq})."
            )
    if to_seq < from_seq:
        raise InvalidAuditFilter(f"to_seq ({to_seq}) is lower than from_seq ({from_seq}).")
    prev_hash = GENESIS_HASH if from_seq == 1 else await uow.audit_reader.hash_of(from_seq - 1)
    verifier = ChainVerifier(from_seq, to_seq, prev_hash)
    batches = uow.audit_reader.chain(from_seq, to_seq, batch_size=batch_size)
    async with aclosing(batches):
        async for batch in batches:
            if not verifier.feed_stored(batch):
                break
    return verifier.result()


@dataclass(frozen=True, slots=True)
class AuditExport:
    """An export that was recorded (entry `exported_seq`); it covers seq <= up_to_seq."""

    criteria: AuditFilter
    format: AuditExportFormat
    exported_seq: int
    up_to_seq: int


async def start_audit_export(
    uow: AuditUnitOfWork, *, actor: Principal | None, criteria: AuditFilter, fmt: AuditExportFormat
) -> AuditExport:
    """Record `audit.exported` and commit it before a single row leaves the service.

    The export covers every matching entry up to and including its own entry, so an
    unfiltered export ends with the entry that records it.
    """
    policy.require(actor, Action.AUDIT_EXPORT)
    details: dict[str, DetailValue] = {"format": fmt.value, "filters": criteria.as_details()}
    entry = await uow.audit.record(
        AuditActor.of(actor), AuditAction.AUDIT_EXPORTED, entity_type="audit_log", details=details
    )
    await uow.commit()
    return AuditExport(criteria=criteria, format=fmt, exported_seq=entry.seq, up_to_seq=entry.seq)


async def stream_audit_export(
    uow: AuditUnitOfWork, export: AuditExport, *, batch_size: int = BATCH_SIZE
) -> AsyncGenerator[str, None]:
    """The export's text, one chunk per batch of entries (a CSV starts with its header).
    Close it when stopping early (`aclosing`): it closes the reader."""
    if export.format is AuditExportFormat.CSV:
        yield csv_line(EXPORT_FIELDS)
    reader = uow.audit_reader.stream(
        export.criteria, up_to_seq=export.up_to_seq, batch_size=batch_size
    )
    fmt = export.format
    async with aclosing(reader):
        async for batch in reader:
            yield "".join(export_line_of_stored(stored, fmt) for stored in batch)
