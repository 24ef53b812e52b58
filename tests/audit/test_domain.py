from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.audit.errors import AuditDetailsRejected
from domain.audit.model import (
    GENESIS_HASH,
    AuditEntry,
    DetailValue,
    canonical_document,
    canonical_encoding,
    check_details,
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
