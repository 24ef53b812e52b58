"""The readers' side of the audit domain: actions, filters, cursors, the verifier, export rows."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain import policy
from domain.audit.errors import AuditDetailsRejected, InvalidAuditFilter, UnknownAuditAction
from domain.audit.model import (
    EXPORT_FIELDS,
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditExportFormat,
    AuditFilter,
    check_details,
    export_line,
)
from domain.audit.use_cases import ChainVerifier
from domain.errors import Forbidden, NotAuthenticated
from domain.pagination import Cursor, InvalidCursor, SeqCursor
from domain.policy import Action, Principal, Role

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        entry = AuditEntry(
            seq=seq,
            occurred_at=T0 + timedelta(seconds=seq),
            actor_id="system",
            actor_role=None,
            action="test.done",
            entity_type="thing",
            entity_id=str(seq),
            province_code="40",
            request_id=None,
            details={"n": seq, "label": "ขอนแก่น"},
            prev_hash=prev,
        )
        entry = replace(entry, hash=entry.computed_hash())
        entries.append(entry)
        prev = entry.hash
    return entries


def run(entries: list[AuditEntry], from_seq: int = 1, to_seq: int = 5, prev: str | None = None):  # type: ignore[no-untyped-def]
    verifier = ChainVerifier(from_seq, to_seq, GENESIS_HASH if from_seq == 1 else prev)
    for entry in entries:
        if not verifier.feed(entry):
            break
    return verifier.result()


def test_an_intact_chain_verifies() -> None:
    entries = chain(5)
    result = run(entries)
    assert (result.valid, result.checked, result.head_hash) == (True, 5, entries[-1].hash)
    assert result.first_broken_seq is None


def test_an_altered_entry_is_reported_at_its_seq() -> None:
    entries = chain(5)
    entries[2] = replace(entries[2], details={"n": 99, "label": "ขอนแก่น"})
    result = run(entries)
    assert (result.valid, result.first_broken_seq, result.checked) == (False, 3, 2)
    assert result.head_hash == entries[1].hash
    assert "altered" in (result.reason or "")


def test_a_rehashed_alteration_breaks_the_next_link() -> None:
    entries = chain(5)
    forged = replace(entries[2], action="test.forged")
    entries[2] = replace(forged, hash=forged.computed_hash())
    result = run(entries)
    assert result.first_broken_seq == 4
    assert "prev_hash" in (result.reason or "")


def test_a_deleted_entry_is_reported_at_its_seq() -> None:
    entries = chain(5)
    del entries[1]
    result = run(entries)
    assert (result.valid, result.first_broken_seq) == (False, 2)
    assert "missing" in (result.reason or "")


def test_a_missing_tail_is_reported() -> None:
    result = run(chain(3), to_seq=5)
    assert (result.valid, result.checked, result.first_broken_seq) == (False, 3, 4)


def test_a_range_links_to_the_entry_before_it() -> None:
    entries = chain(5)
    assert run(entries[2:], from_seq=3, prev=entries[1].hash).valid
    wrong = run(entries[2:], from_seq=3, prev=entries[0].hash)
    assert wrong.first_broken_seq == 3
    missing = run(entries[2:], from_seq=3, prev=None)
    assert missing.first_broken_seq == 3
    assert "Entry 2" in (missing.reason or "")


def test_the_first_entry_links_to_genesis() -> None:
    entries = chain(2)
    first = replace(entries[0], prev_hash="1" * 64)
    entries[0] = replace(first, hash=first.computed_hash())
    assert run(entries, to_seq=2).first_broken_seq == 1


@pytest.mark.parametrize(
    ("action", "exact", "prefix"),
    [
        ("tip.submitted", "tip.submitted", None),
        ("tip.", None, "tip."),
        ("tip.status.", None, "tip.status."),
    ],
)
def test_action_filter_is_exact_or_prefix(
    action: str, exact: str | None, prefix: str | None
) -> None:
    criteria = AuditFilter.build(action=action)
    assert (criteria.action_exact, criteria.action_prefix) == (exact, prefix)


@pytest.mark.parametrize(
    "raw",
    [
        {"action": "."},
        {"action": "tip%"},
        {"action": "Tip.created"},
        {"action": "tip..x"},
        {"entity_id": "42"},
        {"province_code": "4"},
        {"occurred_from": datetime(2026, 1, 1)},  # noqa: DTZ001
        {"occurred_from": T0, "occurred_to": T0},
    ],
)
def test_bad_filters_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(InvalidAuditFilter):
        AuditFilter.build(**raw)  # type: ignore[arg-type]


def test_filter_normalises_province_and_redacts_id_like_values_in_details() -> None:
    criteria = AuditFilter.build(
        province_code="TH-40", entity_type="person", entity_id="1101700203451", occurred_from=T0
    )
    assert criteria.province_code == "40"
    details = criteria.as_details()
    assert details == {
        "entity_type": "person",
        "entity_id": "[redacted]",
        "province_code": "40",
        "occurred_from": "2026-11-25T10:00:00.000000Z",
    }
    check_details(details)


def test_cursor_round_trip_and_garbage() -> None:
    assert SeqCursor.decode(SeqCursor(1042).encode()) == SeqCursor(1042)
    other_list = Cursor(T0, uuid.uuid4()).encode()
    earlier_format = "YTE6MTA0Mg"  # base64 of "a1:1042", the audit log's own codec before
    for garbage in ("", "abc", SeqCursor(1).encode()[:-1] + "!", earlier_format, other_list):
        with pytest.raises(InvalidCursor):
            SeqCursor.decode(garbage)


@pytest.mark.parametrize("action", list(AuditAction))
def test_every_action_is_a_family_and_a_verb_the_filters_reach(action: AuditAction) -> None:
    family, _verb = action.value.split(".")  # exactly one dot: `<family>.<verb>`
    assert AuditFilter.build(action=action.value).action_exact == action.value
    assert AuditFilter.build(action=f"{family}.").action_prefix == f"{family}."


def test_viewed_actions_exist_for_the_records_read_in_full() -> None:
    assert AuditAction.viewed("tip") is AuditAction.TIP_VIEWED
    assert AuditAction.viewed("volunteer") is AuditAction.VOLUNTEER_VIEWED
    with pytest.raises(UnknownAuditAction):
        AuditAction.viewed("account")


def test_ndjson_rows_hold_the_canonical_fields_and_hash() -> None:
    entry = chain(1)[0]
    row = json.loads(export_line(entry, AuditExportFormat.NDJSON))
    assert tuple(row) == EXPORT_FIELDS
    assert row["hash"] == entry.hash
    assert row["occurred_at"] == "2026-11-25T10:00:01.000000Z"


def test_csv_rows_parse_back_to_the_hashed_entry() -> None:
    entry = replace(chain(1)[0], actor_role=None, request_id=None)
    cells = next(csv.reader(io.StringIO(export_line(entry, AuditExportFormat.CSV))))
    row = dict(zip(EXPORT_FIELDS, cells, strict=True))
    assert row["actor_role"] == ""
    assert row["request_id"] == ""
    assert json.loads(row["details"]) == entry.details
    assert int(row["seq"]) == 1
    assert row["hash"] == entry.hash


@pytest.mark.parametrize(
    "details",
    [{"x": "a\x00b"}, {"a\x00": 1}, {"x": "\ud800"}, {"x": "id 1-1017-00203-45-1"}],
)
def test_unstorable_or_id_like_strings_are_refused(details: dict[str, object]) -> None:
    with pytest.raises(AuditDetailsRejected):
        check_details(details)  # type: ignore[arg-type]


@pytest.mark.parametrize("action", [Action.AUDIT_READ, Action.AUDIT_VERIFY, Action.AUDIT_EXPORT])
def test_only_auditors_and_admins_reach_the_audit_log(action: Action) -> None:
    for role in Role:
        caller = Principal(account_id=uuid.uuid4(), role=role)
        if role in (Role.AUDITOR, Role.ADMIN):
            assert policy.require(caller, action) is policy.Scope.ALL
        else:
            with pytest.raises(Forbidden):
                policy.require(caller, action)
    with pytest.raises(NotAuthenticated):
        policy.require(None, action)
