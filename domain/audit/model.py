"""The tamper-evident audit trail: entries, their canonical encoding and hash chain.

Every entry is hashed as SHA-256 over its canonical encoding, which includes the hash of
the previous entry, so altering, removing or reordering any entry breaks every later
hash. The encoding (see docs/audit.md) is JSON with sorted keys, no insignificant
whitespace, UTF-8, of exactly these fields:

    seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id,
    province_code, request_id, details, prev_hash

`occurred_at` is written as ISO 8601 UTC with microseconds and a `Z` suffix.

Below the writer's side (actions, entries, encoding) is the readers' side: the filters of
auditors' queries and the export formats (NDJSON and CSV, whose rows hold exactly the
canonical fields plus `hash`, so anyone can recompute them).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeAlias

from domain.audit.errors import AuditDetailsRejected, InvalidAuditFilter, UnknownAuditAction
from domain.policy import Principal
from domain.provinces.model import normalize_province_code

GENESIS_HASH = "0" * 64


class AuditAction(StrEnum):
    """Every action the audit log records: `<family>.<past-tense verb>`.

    The writer refuses any other action, so this list is complete: an auditor (and the
    OpenAPI document) can rely on it. Add a member here before a use case records it.
    """

    # Signing in and tokens (domain/sessions, domain/accounts): never with the password,
    # the token or a username someone tried.
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGIN_SUCCEEDED = "auth.login_succeeded"
    AUTH_REFRESHED = "auth.refreshed"
    AUTH_TOKEN_FAMILY_REVOKED = "auth.token_family_revoked"  # noqa: S105 - an action name
    AUTH_LOCKED = "auth.locked"
    # API clients (domain/clients): the client credentials grant, audited under the
    # client's id with role `client`; never the secret or the token.
    AUTH_CLIENT_TOKEN_ISSUED = "auth.client_token_issued"  # noqa: S105 - an action name
    AUTH_CLIENT_FAILED = "auth.client_failed"

    # Accounts (domain/accounts, and the accounts linked to volunteers).
    USER_CREATED = "user.created"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_UPDATED = "user.updated"
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an action name
    USER_PASSWORD_CHANGE_FAILED = "user.password_change_failed"  # noqa: S105
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105

    # Tips (domain/tips): submission, triage, messages, links, follow-ups, full reads.
    TIP_SUBMITTED = "tip.submitted"
    TIP_ACKNOWLEDGED = "tip.acknowledged"
    TIP_REVIEW_STARTED = "tip.review_started"
    TIP_INVESTIGATION_STARTED = "tip.investigation_started"
    TIP_CLOSED = "tip.closed"
    TIP_REASSIGNED = "tip.reassigned"
    TIP_MESSAGE_ADDED = "tip.message_added"
    TIP_LINKED = "tip.linked"
    TIP_FOLLOWED_UP = "tip.followed_up"
    TIP_VIEWED = "tip.viewed"
    # The identity vault: requests, decisions, and every read that shows who reported.
    TIP_DISCLOSURE_REQUESTED = "tip.disclosure_requested"
    TIP_DISCLOSURE_APPROVED = "tip.disclosure_approved"
    TIP_DISCLOSURE_REFUSED = "tip.disclosure_refused"
    TIP_IDENTITY_DISCLOSED = "tip.identity_disclosed"

    # Volunteers (domain/volunteers): the registry, its status changes and full reads.
    VOLUNTEER_APPLIED = "volunteer.applied"
    VOLUNTEER_UPDATED = "volunteer.updated"
    VOLUNTEER_MOVED = "volunteer.moved"
    VOLUNTEER_APPROVED = "volunteer.approved"
    VOLUNTEER_REJECTED = "volunteer.rejected"
    VOLUNTEER_SUSPENDED = "volunteer.suspended"
    VOLUNTEER_REINSTATED = "volunteer.reinstated"
    VOLUNTEER_RETIRED = "volunteer.retired"
    VOLUNTEER_ERASED = "volunteer.erased"
    VOLUNTEER_TRAINING_RECORDED = "volunteer.training_recorded"
    VOLUNTEER_PLEDGED = "volunteer.pledged"
    VOLUNTEER_EXPORTED = "volunteer.exported"
    VOLUNTEER_ACTIVATED = "volunteer.activated"
    VOLUNTEER_VIEWED = "volunteer.viewed"

    # Investigations (domain/investigations): the case, its workflow, its timeline, full
    # reads. Details hold ids, statuses, outcomes and counts: never titles, findings,
    # reasons, notes or evidence descriptions.
    INVESTIGATION_OPENED = "investigation.opened"
    INVESTIGATION_UPDATED = "investigation.updated"
    INVESTIGATION_STARTED = "investigation.started"
    INVESTIGATION_HELD = "investigation.held"
    INVESTIGATION_RESUMED = "investigation.resumed"
    INVESTIGATION_CONCLUDED = "investigation.concluded"
    INVESTIGATION_REOPENED = "investigation.reopened"
    INVESTIGATION_ASSIGNED = "investigation.assigned"
    INVESTIGATION_UNASSIGNED = "investigation.unassigned"
    INVESTIGATION_NOTE_ADDED = "investigation.note_added"
    INVESTIGATION_EVIDENCE_ADDED = "investigation.evidence_added"
    INVESTIGATION_VIEWED = "investigation.viewed"
    INVESTIGATION_REFERRED = "investigation.referred"

    # Referrals to partner agencies and the agencies' registry (domain/investigations,
    # domain/agencies): statuses and codes, never the summary or the agencies' notes.
    REFERRAL_UPDATED = "referral.updated"
    REFERRAL_VIEWED = "referral.viewed"
    AGENCY_REGISTERED = "agency.registered"
    AGENCY_UPDATED = "agency.updated"
    # API clients of partner systems (domain/clients), by admins.
    CLIENT_REGISTERED = "client.registered"
    CLIENT_SECRET_ROTATED = "client.secret_rotated"  # noqa: S105 - an action name
    CLIENT_REVOKED = "client.revoked"

    # Partner integration (domain/webhooks): endpoint ids, agency codes, field names and
    # counts; never the URL or a signing secret.
    WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint.created"
    WEBHOOK_ENDPOINT_UPDATED = "webhook_endpoint.updated"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    WEBHOOK_SECRET_ROTATED = "webhook_endpoint.secret_rotated"  # noqa: S105
    WEBHOOK_TEST_SENT = "webhook_endpoint.test_sent"
    WEBHOOK_REDELIVERED = "webhook_endpoint.redelivered"

    # The audit log itself (domain/audit).
    AUDIT_EXPORTED = "audit.exported"

    # Key rotation runs (domain/keys): key ids and counts, never a key or a value.
    KEYS_DATA_RESEALED = "keys.data_resealed"
    KEYS_REHASHED = "keys.rehashed"

    @classmethod
    def viewed(cls, entity_type: str) -> AuditAction:
        """`<entity_type>.viewed`; UnknownAuditAction when that is not an action."""
        return cls.parse(f"{entity_type}.viewed")

    @classmethod
    def parse(cls, value: str) -> AuditAction:
        """The member of this value; UnknownAuditAction (a programming error) otherwise."""
        try:
            return cls(value)
        except ValueError:
            raise UnknownAuditAction(value) from None


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


@dataclass(frozen=True, slots=True)
class AuditActor:
    """Who acted: an account (id and role), an API client (its id, role `client`),
    `anonymous`, `reporter` or `system`."""

    id: str
    role: str | None = None

    @classmethod
    def of(cls, principal: Principal | None) -> AuditActor:
        if principal is None:
            return ANONYMOUS
        # An API client: its id, role `client` (policy.CLIENT_ACTOR_ROLE).
        return cls(id=str(principal.account_id), role=principal.role_name)


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
    zone = at.tzinfo
    if zone is not UTC:
        # The database's timestamps arrive in UTC already, so most need no conversion.
        if zone is None:
            raise ValueError("audit timestamps must be timezone-aware")
        at = at.astimezone(UTC)
    # Same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ") (a test compares them), about three
    # times faster, and faster than isoformat(): verification and export format every entry.
    return _TIMESTAMP % (
        at.year,
        at.month,
        at.day,
        at.hour,
        at.minute,
        at.second,
        at.microsecond,
    )


_TIMESTAMP = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ"


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
    return _CANONICAL_JSON.encode(value)


#: `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, with
#: its encoder made once (json.dumps makes one per call when given options: half its time).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_encoding(entry: AuditEntry) -> bytes:
    """`canonical_json(canonical_document(entry))` as UTF-8, byte for byte (see
    `_canonical_bytes`); the writer hashes it, and a test compares it with `json.dumps`
    of the document on every kind of value."""
    return _canonical_bytes(
        entry.seq,
        entry.occurred_at,
        entry.actor_id,
        entry.actor_role,
        entry.action,
        entry.entity_type,
        entry.entity_id,
        entry.province_code,
        entry.request_id,
        canonical_json(entry.details),
        entry.prev_hash,
    )


def _canonical_bytes(
    seq: int,
    occurred_at: datetime,
    actor_id: str,
    actor_role: str | None,
    action: str,
    entity_type: str | None,
    entity_id: str | None,
    province_code: str | None,
    request_id: str | None,
    details_json: str,
    prev_hash: str,
) -> bytes:
    """The canonical encoding of these values (`details` already as canonical JSON), the
    one place the recipe is written: the top-level keys are fixed, so they are written in
    their sorted order and only the values are encoded (strings by the `json` module's
    own escaper). About three times faster than `json.dumps` of the document; the writer
    (through `canonical_encoding`) and the verifier (`ChainVerifier`) both use it."""
    enc = _encode_string
    return (
        f'{{"action":{"null" if action is None else enc(action)}'
        f',"actor_id":{"null" if actor_id is None else enc(actor_id)}'
        f',"actor_role":{"null" if actor_role is None else enc(actor_role)}'
        f',"details":{details_json}'
        f',"entity_id":{"null" if entity_id is None else enc(entity_id)}'
        f',"entity_type":{"null" if entity_type is None else enc(entity_type)}'
        f',"occurred_at":"{format_timestamp(occurred_at)}"'
        f',"prev_hash":{"null" if prev_hash is None else enc(prev_hash)}'
        f',"province_code":{"null" if province_code is None else enc(province_code)}'
        f',"request_id":{"null" if request_id is None else enc(request_id)}'
        f',"seq":{seq:d}}}'
    ).encode()


#: The `json` module's string encoder for `ensure_ascii=False` (its C version when built).
_encode_string = json.encoder.encode_basestring


def _storable(text: str) -> bool:
    """PostgreSQL text and jsonb refuse NUL; UTF-8 refuses lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_detail(value: DetailValue, path: str) -> None:
    """One value of audit details, and what it holds (a module function: a nested one
    that calls itself is a reference cycle, left to the cyclic collector per append)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if not _storable(key):
                raise AuditDetailsRejected("an audit detail key has a NUL or lone surrogate")
            lowered = key.lower()
            for forbidden in FORBIDDEN_DETAIL_KEYS:
                if forbidden in lowered:
                    raise AuditDetailsRejected(f"audit detail key '{path}{key}' is not allowed")
            _check_detail(inner, f"{path}{key}.")
    elif isinstance(value, list):
        for item in value:
            _check_detail(item, path)
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


def check_details(details: dict[str, DetailValue]) -> None:
    """Refuse details that could carry confidential data (see FORBIDDEN_DETAIL_KEYS)."""
    _check_detail(details, "")
    if len(json.dumps(details, ensure_ascii=False).encode("utf-8")) > _MAX_DETAILS_BYTES:
        raise AuditDetailsRejected("audit details are too large")


# --------------------------------------------------------------------------------------
# The readers' side: filters, verification and export (auditors and admins).
# --------------------------------------------------------------------------------------


#: Actors whose entries carry no request id: proxies log the request id beside the
#: client address, which would tie an anonymous reporter's address to the tip.
UNLINKABLE_ACTOR_IDS = frozenset({ANONYMOUS.id, REPORTER.id})


def next_entry(
    head: tuple[int, str, datetime | None],
    *,
    at: datetime,
    actor: AuditActor,
    action: AuditAction,
    entity_type: str | None = None,
    entity_id: object | None = None,
    province_code: str | None = None,
    request_id: str | None = None,
    details: dict[str, DetailValue] | None = None,
) -> AuditEntry:
    """The entry that follows `head` (seq, hash, occurred_at of the newest entry), hashed.

    The one place the writer's rules live (the SQL log and the tests' in-memory log both
    call it): only listed actions; no confidential data in details or entity ids; no
    request id for unlinkable actors or one that looks like a national ID; `occurred_at`
    never earlier than the previous entry's (clocks of several hosts may differ slightly),
    so it grows with seq, which time-range queries rely on.
    """
    # mypy holds use cases to the enum; this also refuses a plain string that is not one.
    action = AuditAction.parse(action)
    details = dict(details or {})
    check_details(details)
    entity = None if entity_id is None else (str(entity_id) or None)
    if entity is not None and looks_like_national_id(entity):
        raise AuditDetailsRejected("an audit entity_id looks like a national ID")
    if actor.id in UNLINKABLE_ACTOR_IDS or (
        request_id is not None and looks_like_national_id(request_id)
    ):
        request_id = None
    last_seq, last_hash, last_at = head
    entry = AuditEntry(
        seq=last_seq + 1,
        occurred_at=at if last_at is None or at >= last_at else last_at,
        actor_id=actor.id,
        actor_role=actor.role or None,
        action=action.value,
        entity_type=entity_type or None,
        entity_id=entity,
        province_code=province_code or None,
        request_id=request_id or None,
        details=details,
        prev_hash=last_hash,
    )
    return replace(entry, hash=entry.computed_hash())


#: Entries read per round trip when verifying or exporting (memory stays bounded by it).
BATCH_SIZE = 1000

_ACTION_FILTER = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\.?$")
_REDACTED = "[redacted]"


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries an auditor wants; every given criterion must hold.

    `action` is matched exactly, or as a prefix when it ends with '.' (`tip.` matches
    `tip.submitted` and `tip.status.changed`). The time range is half-open:
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
                "The action filter is a dotted verb such as 'tip.submitted', or a prefix "
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


class AuditExportFormat(StrEnum):
    """How an export is written: one JSON object per line, or CSV with a header row."""

    NDJSON = "ndjson"
    CSV = "csv"


#: Columns of an export: the canonical fields (same names) plus the stored hash.
EXPORT_FIELDS = (*CANONICAL_FIELDS, "hash")


#: An entry as the chain's readers hand it over for verification and export: its stored
#: values in `EXPORT_FIELDS` order (the canonical fields, then `hash`), with `details` as
#: the JSON text the database returns (any spacing and key order) or as an object. A
#: table row as the driver returns it fits as it is, so no AuditEntry is built per entry.
StoredEntry: TypeAlias = Sequence[Any]


def stored_values(entry: AuditEntry) -> StoredEntry:
    """An entry's values in `EXPORT_FIELDS` order."""
    return (
        entry.seq,
        entry.occurred_at,
        entry.actor_id,
        entry.actor_role,
        entry.action,
        entry.entity_type,
        entry.entity_id,
        entry.province_code,
        entry.request_id,
        entry.details,
        entry.prev_hash,
        entry.hash,
    )


def stored_details(stored: object) -> DetailValue:
    """`details` of a stored entry as JSON values (parsed when it is JSON text)."""
    return json.loads(stored) if isinstance(stored, str) else stored  # type: ignore[return-value]


#: Details texts up to this length are remembered, the last 4096 of them (a few MiB at
#: most): entries repeat a few details (`{"fields": ["record"]}` on every read of a record,
#: statuses, roles), and parsing and re-encoding them was half the cost of checking one.
_MEMO_TEXT = 256


def _memoised(encode: Callable[[Any], str]) -> Callable[[str], str]:
    """Stored details (JSON text) parsed and re-encoded by `encode`, remembered for texts
    up to `_MEMO_TEXT` characters."""
    remembered = lru_cache(maxsize=4096)(lambda text: encode(json.loads(text)))

    def encoded(text: str) -> str:
        return encode(json.loads(text)) if len(text) > _MEMO_TEXT else remembered(text)

    return encoded


#: `json.dumps(document, separators=(",", ":"), ensure_ascii=False)`, its encoder made once.
_EXPORT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

#: Stored details as canonical JSON (the hash's recipe).
_canonical_details = _memoised(canonical_json)
#: Stored details as an NDJSON export writes them (compact, keys in the stored order).
_export_details = _memoised(_EXPORT_JSON.encode)


def stored_hash_input(stored: StoredEntry) -> bytes:
    """The bytes whose SHA-256 a stored entry's `hash` must be: its canonical encoding,
    from the stored values as they are (details that are not an object, which the writer
    never stores, are encoded as what they are, so the hash does not match)."""
    seq, at, actor_id, actor_role, action, entity_type, entity_id, province, request_id = stored[:9]
    details = stored[9]
    details_json = _canonical_details(details) if type(details) is str else canonical_json(details)
    return _canonical_bytes(
        seq,
        at,
        actor_id,
        actor_role,
        action,
        entity_type,
        entity_id,
        province,
        request_id,
        details_json,
        stored[10],
    )


def export_document(entry: AuditEntry) -> dict[str, DetailValue]:
    """One exported entry: the canonical fields plus the stored hash."""
    document = canonical_document(entry)
    document["hash"] = entry.hash
    return document


def export_line(entry: AuditEntry, fmt: AuditExportFormat) -> str:
    """One line of an export: `json.dumps(export_document(entry), separators=(",", ":"),
    ensure_ascii=False)` and a newline, or a CSV row (details as canonical JSON)."""
    return export_line_of_stored(stored_values(entry), fmt)


def export_line_of_stored(stored: StoredEntry, fmt: AuditExportFormat) -> str:
    """`export_line` of a stored entry, built directly for NDJSON as `_canonical_bytes` is
    (the keys in `EXPORT_FIELDS` order, details in their own key order); a test compares
    it with `json.dumps` of the document on every kind of value."""
    if fmt is not AuditExportFormat.NDJSON:
        cells = [_csv_cell(value) for value in stored[:12]]
        cells[1] = format_timestamp(stored[1])
        cells[9] = canonical_json(stored_details(stored[9]))
        return csv_line(cells)
    seq, at, actor_id, actor_role, action, entity_type, entity_id, province, request_id = stored[:9]
    details, prev_hash, stored_hash = stored[9:12]
    details = _export_details(details) if type(details) is str else _EXPORT_JSON.encode(details)
    enc = _encode_string
    return (
        f'{{"seq":{seq:d},"occurred_at":"{format_timestamp(at)}"'
        f',"actor_id":{"null" if actor_id is None else enc(actor_id)}'
        f',"actor_role":{"null" if actor_role is None else enc(actor_role)}'
        f',"action":{"null" if action is None else enc(action)}'
        f',"entity_type":{"null" if entity_type is None else enc(entity_type)}'
        f',"entity_id":{"null" if entity_id is None else enc(entity_id)}'
        f',"province_code":{"null" if province is None else enc(province)}'
        f',"request_id":{"null" if request_id is None else enc(request_id)}'
        f',"details":{details}'
        f',"prev_hash":{"null" if prev_hash is None else enc(prev_hash)}'
        f',"hash":{"null" if stored_hash is None else enc(stored_hash)}}}\n'
    )


def _csv_cell(value: DetailValue) -> str:
    # The writer stores no empty strings, so an empty cell means null unambiguously.
    return "" if value is None else str(value)


def csv_line(cells: tuple[str, ...] | list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()
