from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.audit.errors import AuditDetailsRejected
from domain.audit.model import (
    GENESIS_HASH,
    AuditEntry,
    AuditExportFormat,
    DetailValue,
    canonical_document,
    canonical_encoding,
    check_details,
    export_document,
    export_line,
    export_line_of_stored,
    format_timestamp,
    stored_hash_input,
    stored_values,
)


def entry(**overrides: object) -> AuditEntry:
    fields: dict[str, object] = {
        "seq": 1,
        "occurred_at": datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=UTC),
        "actor_id": "system",
        "actor_role": None,
        "action": "user.created",
        "entity_type": "user",
        "entity_id": "42",
        "province_code": "40",
        "request_id": "r1",
        "details": {"role": "admin"},
        "prev_hash": GENESIS_HASH,
    }
    fields.update(overrides)
    return AuditEntry(**fields)  # type: ignore[arg-type]


def test_canonical_encoding_is_documented_json() -> None:
    expected = (
        '{"action":"user.created","actor_id":"system","actor_role":null,'
        '"details":{"role":"admin"},"entity_id":"42","entity_type":"user",'
        '"occurred_at":"2026-11-25T10:00:00.123456Z","prev_hash":"' + GENESIS_HASH + '",'
        '"province_code":"40","request_id":"r1","seq":1}'
    )
    assert entry().canonical() == expected.encode()
    assert entry().computed_hash() == hashlib.sha256(expected.encode()).hexdigest()


def test_timestamps_are_normalised_to_utc() -> None:
    bangkok = timezone(timedelta(hours=7))
    local = entry(occurred_at=datetime(2026, 11, 25, 17, 0, 0, 123456, tzinfo=bangkok))
    assert local.computed_hash() == entry().computed_hash()


@pytest.mark.parametrize("field", ["seq", "action", "details", "prev_hash", "actor_id"])
def test_any_change_changes_the_hash(field: str) -> None:
    changed = {
        "seq": 2,
        "action": "user.deleted",
        "details": {"role": "auditor"},
        "prev_hash": "1" * 64,
        "actor_id": "anonymous",
    }[field]
    assert entry(**{field: changed}).computed_hash() != entry().computed_hash()


@pytest.mark.parametrize(
    "details",
    [
        {"password": "x"},
        {"new_password_hash": "x"},
        {"receipt": "x"},
        {"national_id": "x"},
        {"nested": {"description": "x"}},
        {"items": [{"contact": "x"}]},
        {"value": "1234567890123"},
        {"ratio": 0.5},
        {"long": "x" * 201},
    ],
)
def test_confidential_details_are_refused(details: dict[str, object]) -> None:
    with pytest.raises(AuditDetailsRejected):
        check_details(details)  # type: ignore[arg-type]


def test_plain_details_pass() -> None:
    check_details({"role": "admin", "from_status": "applied", "count": 3, "fields": ["role"]})


def test_canonical_encoding_is_the_json_of_the_canonical_document_byte_for_byte() -> None:
    # The writer and the verifier hash `canonical_encoding`, built directly for speed;
    # auditors' tools (tools/verify_export.py) recompute it as sorted, compact JSON.
    texts = [None, "", "ดวงตา แรงงาน", 'quote " and \\ backslash', "\n\t\x01\x1f"]
    texts += ["\u2028\u2029", "😀"]
    details_cases: list[dict[str, DetailValue]] = [
        {},
        {"fields": ["record", "reporter_identity"]},
        {"z": 1, "a": None, "m": True, "n": {"b": [1, 2, "ข"], "a": False}, "q": 'x"y'},
    ]
    at = datetime(2026, 11, 26, 3, 4, 5, 60, tzinfo=UTC)
    for index, text in enumerate(texts):
        at = at if index % 2 else at.astimezone(timezone(timedelta(hours=7)))
        for details in details_cases:
            entry = AuditEntry(
                seq=2**62 + index,
                occurred_at=at,
                actor_id=text or "anonymous",
                actor_role=text,
                action="tip.viewed",
                entity_type=text,
                entity_id=text,
                province_code=text,
                request_id=text,
                details=details,
                prev_hash="0" * 64,
                hash="",
            )
            document = canonical_document(entry)
            assert document["occurred_at"] == "2026-11-26T03:04:05.000060Z"
            expected = json.dumps(
                document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
            assert canonical_encoding(entry) == expected


#: Strings that need escaping or are outside ASCII, for the byte-for-byte comparisons.
TRICKY_TEXTS: list[str | None] = [
    None,
    "ดวงตา แรงงาน ขอนแก่น",
    'quote " and \\ backslash / slash',
    "\n\t\r\x08\x0c\x01\x1f\x7f",
    "\u2028\u2029\ufeff",
    "😀 emoji",
    "null",
    "ascii-only-42",
]
TRICKY_DETAILS: list[dict[str, DetailValue]] = [
    {},
    {"fields": ["record", "reporter_identity"]},
    {"role": "admin"},
    {"z": 1, "a": None, "m": True, "f": False, "n": {"b": [1, 2, "ข"], "a": False}, "q": 'x"y'},
    {"big": 2**70, "neg": -(2**63), "zero": 0, "list": [], "obj": {}, "ไทย": "ค่า\n"},
    {"a": [{"y": 1, "x": [None, True, "\x1f"]}], "B": "upper before lower"},
]


def tricky_entries() -> list[AuditEntry]:
    entries = []
    at = datetime(2026, 11, 26, 3, 4, 5, 60, tzinfo=UTC)
    for index, text in enumerate(TRICKY_TEXTS):
        for number, details in enumerate(TRICKY_DETAILS):
            entries.append(
                AuditEntry(
                    seq=index * 100 + number + 1,
                    occurred_at=at + timedelta(microseconds=index * 999_999 + number),
                    actor_id=text or "anonymous",
                    actor_role=text,
                    action=text or "tip.viewed",
                    entity_type=text,
                    entity_id=text,
                    province_code=text,
                    request_id=text,
                    details=details,
                    prev_hash=text or GENESIS_HASH,
                    hash=hashlib.sha256((text or "").encode()).hexdigest(),
                )
            )
    return entries


def as_jsonb_text(details: DetailValue) -> str:
    """Details as PostgreSQL's jsonb text could hand them over: spaced, keys reordered."""
    if isinstance(details, dict):
        items = sorted(details.items(), key=lambda item: (len(item[0]), item[0]), reverse=True)
        return "{" + ", ".join(f"{json.dumps(k)}: {as_jsonb_text(v)}" for k, v in items) + "}"
    if isinstance(details, list):
        return "[" + ", ".join(as_jsonb_text(v) for v in details) + "]"
    return json.dumps(details, ensure_ascii=False)


def test_the_verifier_hashes_stored_rows_exactly_as_the_writer() -> None:
    # The verifier hashes rows as stored (details as jsonb text, any spacing and key
    # order); its bytes must be the writer's, which are json.dumps of the document.
    for item in tricky_entries():
        expected = json.dumps(
            canonical_document(item), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
        assert canonical_encoding(item) == expected
        stored = list(stored_values(item))
        assert stored_hash_input(stored) == expected
        stored[9] = as_jsonb_text(item.details)
        assert stored_hash_input(stored) == expected, stored[9]


def test_ndjson_lines_are_json_dumps_of_the_export_document_byte_for_byte() -> None:
    for item in tricky_entries():
        document = export_document(item)
        expected = json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"
        assert export_line(item, AuditExportFormat.NDJSON) == expected
        # From jsonb text, details keep the key order the database returns them in.
        stored = list(stored_values(item))
        stored[9] = as_jsonb_text(item.details)
        document["details"] = json.loads(stored[9])
        expected = json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"
        assert export_line_of_stored(stored, AuditExportFormat.NDJSON) == expected
        csv_row = export_line(item, AuditExportFormat.CSV)
        assert export_line_of_stored(stored, AuditExportFormat.CSV) == csv_row


def test_details_that_are_not_an_object_never_hash_as_an_empty_one() -> None:
    # A tampered jsonb `null`, `[]` or `""` must not pass for the `{}` that was hashed.
    item = entry(details={})
    stored = list(stored_values(item))
    assert stored_hash_input(stored) == canonical_encoding(item)
    tampered_values: list[object] = ["null", "[]", '""', "0", "false", None, []]
    for tampered in tampered_values:
        stored[9] = tampered
        assert stored_hash_input(stored) != canonical_encoding(item), tampered


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 11, 26, 0, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
        datetime(2026, 11, 26, 6, 30, tzinfo=timezone(timedelta(hours=7))),
        datetime(2026, 11, 25, 23, 0, 0, 500, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_timestamps_are_written_as_strftime_would(moment: datetime) -> None:
    # The earlier implementation, and strftime (which does not pad years below 1000).
    utc = moment.astimezone(UTC)
    assert format_timestamp(moment) == utc.isoformat(timespec="microseconds")[:-6] + "Z"
    assert format_timestamp(moment)[-23:] == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[-23:]
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(moment.replace(tzinfo=None))
