"""The tamper-evident audit trail: entries, their canonical encoding and hash chain.

Every entry is hashed as SHA-256 over its canonical encoding, which includes the hash of
the previous entry, so altering, removing or reordering any entry breaks every later
hash. The encoding (see docs/audit.md) is JSON with sorted keys, no insignificant
whitespace, UTF-8, of exactly these fields:

    seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id,
    province_code, request_id, details, prev_hash

`occurred_at` is written as ISO 8601 UTC with microseconds and a `Z` suffix.

Below the writer's side (entries, encoding, `AuditLog`) is the readers' side: filters and
keyset pages for auditors, the chain verifier, and the export formats (NDJSON and CSV,
whose rows hold exactly the canonical fields plus `hash`, so anyone can recompute them).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeAlias

from domain import policy
from domain.errors import InvalidInput
from domain.policy import Action, Principal
from domain.provinces import normalize_province_code

if TYPE_CHECKING:
    from domain.uow import UnitOfWork

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
_PRINTED_NATIONAL_ID = re.compile(r"(?<!\d)\d-\d{4}-\d{5}-\d{2}-\d(?!\d)")
#: A national id standing alone: 13 digits that are not part of a longer token (the hex
#: of a UUID holds 13 digits in a row now and then), or its printed form 1-2345-67890-12-3.
NATIONAL_ID_LIKE = re.compile(
    r"(?<![0-9A-Za-z])\d{13}(?![0-9A-Za-z])|" + _PRINTED_NATIONAL_ID.pattern
)


def looks_like_national_id(text: str) -> bool:
    return NATIONAL_ID_LIKE.search(text) is not None


class AuditDetailsRejected(ValueError):
    """A programming error: someone tried to put confidential data in an audit entry."""


@dataclass(frozen=True, slots=True)
class AuditActor:
    """Who acted: an account (id and role), `anonymous`, `reporter` or `system`."""

    id: str
    role: str | None = None

    @classmethod
    def of(cls, principal: Principal | None) -> AuditActor:
        if principal is None:
            return ANONYMOUS
        return cls(id=str(principal.account_id), role=str(principal.role))


ANONYMOUS = AuditActor("anonymous")
SYSTEM = AuditActor("system")
#: A signed-in reporter acting on their own tip: their account id next to the tip's id
#: would tell anyone who can read the log who reported what, so it is never written.
REPORTER = AuditActor("reporter")


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
    # Same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), several times faster (verify, export).
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


#: The fields of the canonical encoding, in the order exports list them.
CANONICAL_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "province_code",
    "request_id",
    "details",
    "prev_hash",
)


def canonical_document(entry: AuditEntry) -> dict[str, DetailValue]:
    """The fields that are hashed, as JSON values (timestamps already formatted)."""
    return {
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


def canonical_json(value: DetailValue) -> str:
    """JSON with sorted keys, no insignificant whitespace, non-ASCII characters kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_encoding(entry: AuditEntry) -> bytes:
    return canonical_json(canonical_document(entry)).encode("utf-8")


def _storable(text: str) -> bool:
    """PostgreSQL text and jsonb refuse NUL; UTF-8 refuses lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_details(details: dict[str, DetailValue]) -> None:
    """Refuse details that could carry confidential data (see FORBIDDEN_DETAIL_KEYS)."""

    def walk(value: DetailValue, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if not _storable(key):
                    raise AuditDetailsRejected("an audit detail key has a NUL or lone surrogate")
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
            if not _storable(value):
                raise AuditDetailsRejected(f"audit detail '{path}' has a NUL or lone surrogate")
            if len(value) > _MAX_DETAIL_STRING:
                raise AuditDetailsRejected(f"audit detail '{path}' is longer than allowed")
            if _THIRTEEN_DIGITS.search(value) or _PRINTED_NATIONAL_ID.search(value):
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


# --------------------------------------------------------------------------------------
# The readers' side: filters, keyset pages, verification and export (auditors and admins).
# --------------------------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
#: Entries read per round trip when verifying or exporting (memory stays bounded by it).
BATCH_SIZE = 1000

_ACTION_FILTER = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\.?$")
_REDACTED = "[redacted]"


class InvalidAuditFilter(InvalidInput):
    """A filter, cursor or range of an audit-log query that cannot be honoured."""


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries an auditor wants; every given criterion must hold.

    `action` is matched exactly, or as a prefix when it ends with '.' (`tip.` matches
    `tip.created` and `tip.status.changed`). The time range is half-open:
    `occurred_from <= occurred_at < occurred_to`.
    """

    actor_id: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    province_code: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    @classmethod
    def build(
        cls,
        *,
        actor_id: str | None = None,
        action: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        province_code: str | None = None,
        occurred_from: datetime | None = None,
        occurred_to: datetime | None = None,
    ) -> AuditFilter:
        """Validate and normalise raw criteria; raise InvalidAuditFilter when they can't be."""
        texts = (actor_id, action, entity_type, entity_id, province_code)
        if any(value is not None and not _storable(value) for value in texts):
            raise InvalidAuditFilter("A filter value holds a NUL character or a lone surrogate.")
        if action is not None and not _ACTION_FILTER.match(action):
            raise InvalidAuditFilter(
                "The action filter is a dotted verb such as 'tip.created', or a prefix "
                "ending with '.' such as 'tip.'."
            )
        if entity_id is not None and entity_type is None:
            raise InvalidAuditFilter("Filtering by entity_id needs entity_type as well.")
        code = None
        if province_code is not None:
            code = normalize_province_code(province_code)
            if code is None:
                raise InvalidAuditFilter("province_code is a two-digit code such as '40'.")
        for name, moment in (("occurred_from", occurred_from), ("occurred_to", occurred_to)):
            if moment is not None and moment.tzinfo is None:
                raise InvalidAuditFilter(f"{name} needs a time zone (e.g. a trailing 'Z').")
        try:
            occurred_from = occurred_from.astimezone(UTC) if occurred_from else None
            occurred_to = occurred_to.astimezone(UTC) if occurred_to else None
        except OverflowError as exc:
            raise InvalidAuditFilter("The time range is outside the supported years.") from exc
        if occurred_from and occurred_to and occurred_from >= occurred_to:
            raise InvalidAuditFilter("occurred_from must be earlier than occurred_to.")
        return cls(
            actor_id=actor_id or None,
            action=action,
            entity_type=entity_type or None,
            entity_id=entity_id or None,
            province_code=code,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
        )

    @property
    def action_exact(self) -> str | None:
        return self.action if self.action and not self.action.endswith(".") else None

    @property
    def action_prefix(self) -> str | None:
        return self.action if self.action and self.action.endswith(".") else None

    def as_details(self) -> dict[str, DetailValue]:
        """The criteria for an audit entry: values that could be confidential are redacted."""
        details: dict[str, DetailValue] = {}
        for name in ("actor_id", "action", "entity_type", "entity_id", "province_code"):
            value = getattr(self, name)
            if value is not None:
                details[name] = _safe_detail_string(value)
        for name in ("occurred_from", "occurred_to"):
            moment = getattr(self, name)
            if moment is not None:
                details[name] = format_timestamp(moment)
        return details


def _safe_detail_string(value: str) -> str:
    """A caller-supplied value, or a marker when check_details would refuse it."""
    try:
        check_details({"value": value})
    except AuditDetailsRejected:
        return _REDACTED
    return value


def encode_cursor(seq: int) -> str:
    """An opaque keyset cursor: the next page holds entries older than `seq`."""
    return base64.urlsafe_b64encode(f"a1:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, number = raw.partition(":")
        if version != "a1" or not number.isdigit() or len(number) > 18:
            raise ValueError(raw)
        return int(number)
    except ValueError as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise InvalidAuditFilter("The cursor is not valid; start again without one.") from exc


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: list[AuditEntry]
    next_cursor: str | None


class AuditReader(Protocol):
    """Read access to the chain (no locks: the table is append-only)."""

    async def page(
        self, criteria: AuditFilter, *, before_seq: int | None, limit: int
    ) -> list[AuditEntry]:
        """Entries matching the criteria, newest first (seq descending), seq < before_seq."""
        ...

    async def head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest entry, or None when the log is empty."""
        ...

    async def hash_of(self, seq: int) -> str | None:
        """The stored hash of one entry, or None when there is no entry with that seq."""
        ...

    def chain(
        self, from_seq: int, to_seq: int, *, batch_size: int
    ) -> AsyncIterator[list[AuditEntry]]:
        """The entries from_seq..to_seq that exist, in seq order, in batches."""
        ...

    def stream(
        self, criteria: AuditFilter, *, up_to_seq: int, batch_size: int
    ) -> AsyncIterator[list[AuditEntry]]:
        """Matching entries with seq <= up_to_seq in seq order, in batches (server-side cursor)."""
        ...


async def list_audit_entries(
    uow: UnitOfWork,
    *,
    actor: Principal | None,
    criteria: AuditFilter,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> AuditPage:
    """One page of entries matching the criteria, newest first."""
    policy.require(actor, Action.AUDIT_READ)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidAuditFilter(f"limit is between 1 and {MAX_PAGE_SIZE}.")
    before = decode_cursor(cursor) if cursor else None
    items = await uow.audit_reader.page(criteria, before_seq=before, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return AuditPage(items=items, next_cursor=encode_cursor(items[-1].seq) if more else None)


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
        if self._broken is not None:
            return False
        seq = entry.seq
        if seq != self._expected_seq:
            missing = self._expected_seq
            return self._break(missing, f"Entry {missing} is missing (deleted or renumbered).")
        if self._prev_hash is None:
            return self._break(seq, f"Entry {seq - 1}, which entry {seq} links to, is missing.")
        if entry.prev_hash != self._prev_hash:
            link = "the genesis hash" if seq == 1 else f"the hash of entry {seq - 1}"
            return self._break(seq, f"prev_hash of entry {seq} does not match {link}.")
        if entry.computed_hash() != entry.hash:
            return self._break(
                seq, f"Entry {seq} was altered: its content does not match its hash."
            )
        self._checked += 1
        self._prev_hash = self._last_hash = entry.hash
        self._expected_seq = seq + 1
        return True

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
    uow: UnitOfWork,
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
    async for batch in uow.audit_reader.chain(from_seq, to_seq, batch_size=batch_size):
        for entry in batch:
            if not verifier.feed(entry):
                break
        if verifier.broken:
            break
    return verifier.result()


class ExportFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"


#: Columns of an export: the canonical fields (same names) plus the stored hash.
EXPORT_FIELDS = (*CANONICAL_FIELDS, "hash")


@dataclass(frozen=True, slots=True)
class AuditExport:
    """An export that was recorded (entry `exported_seq`); it covers seq <= up_to_seq."""

    criteria: AuditFilter
    format: ExportFormat
    exported_seq: int
    up_to_seq: int


async def start_audit_export(
    uow: UnitOfWork, *, actor: Principal | None, criteria: AuditFilter, fmt: ExportFormat
) -> AuditExport:
    """Record `audit.exported` and commit it before a single row leaves the service.

    The export covers every matching entry up to and including its own entry, so an
    unfiltered export ends with the entry that records it.
    """
    policy.require(actor, Action.AUDIT_EXPORT)
    details: dict[str, DetailValue] = {"format": fmt.value, "filters": criteria.as_details()}
    entry = await uow.audit.record(
        AuditActor.of(actor), "audit.exported", entity_type="audit_log", details=details
    )
    await uow.commit()
    return AuditExport(criteria=criteria, format=fmt, exported_seq=entry.seq, up_to_seq=entry.seq)


async def stream_audit_export(
    uow: UnitOfWork, export: AuditExport, *, batch_size: int = BATCH_SIZE
) -> AsyncIterator[str]:
    """The export's text, one chunk per batch of entries (a CSV starts with its header)."""
    if export.format is ExportFormat.CSV:
        yield csv_line(EXPORT_FIELDS)
    reader = uow.audit_reader.stream(
        export.criteria, up_to_seq=export.up_to_seq, batch_size=batch_size
    )
    async for batch in reader:
        yield "".join(export_line(entry, export.format) for entry in batch)


def export_document(entry: AuditEntry) -> dict[str, DetailValue]:
    """One exported entry: the canonical fields plus the stored hash."""
    document = canonical_document(entry)
    document["hash"] = entry.hash
    return document


def export_line(entry: AuditEntry, fmt: ExportFormat) -> str:
    document = export_document(entry)
    if fmt is ExportFormat.NDJSON:
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"
    return csv_line(
        [
            canonical_json(value) if name == "details" else _csv_cell(value)
            for name, value in document.items()
        ]
    )


def _csv_cell(value: DetailValue) -> str:
    # The writer stores no empty strings, so an empty cell means null unambiguously.
    return "" if value is None else str(value)


def csv_line(cells: tuple[str, ...] | list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()
