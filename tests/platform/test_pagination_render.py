"""`PagePublic.render` (api/pagination.py) sends the bytes FastAPI would send for the page
model: same fields, order and JSON text (UTF-8, `Z` for UTC, microseconds, nulls, nested
details), for every list that uses it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import TypeAdapter

from api.audit.schemas import AuditEntryPage, AuditEntryPublic
from api.pagination import PagePublic
from api.tips.schemas import TipSummaryPage, TipSummaryPublic
from api.volunteers.schemas import VolunteerSummaryPage, VolunteerSummaryPublic
from domain.audit.model import AuditAction, AuditEntry
from domain.pagination import Page, SeqCursor
from domain.tips.model import TipCategory, TipChannel, TipStatus, TipSummary
from domain.volunteers.model import VolunteerStatus
from domain.volunteers.ports import VolunteerSummary

NOW = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)


def _model_bytes(page_model: type[PagePublic[Any]], page: Page[Any], convert: Any) -> bytes:
    """What FastAPI sends for a route returning `page_model.of(...)`: the returned model
    validated against the response model, then dumped as JSON."""
    adapter = TypeAdapter(page_model)
    return adapter.dump_json(adapter.validate_python(page_model.of(page, convert)))


def _tips() -> list[TipSummary]:
    return [
        TipSummary(
            id=uuid.uuid4(),
            reference=f"TIP-2569-{n:06d}",
            province_code=f"{10 + n % 77:02d}",
            category=list(TipCategory)[n % len(TipCategory)],
            status=list(TipStatus)[n % len(TipStatus)],
            channel=list(TipChannel)[n % len(TipChannel)],
            received_at=NOW - timedelta(days=n, microseconds=n * 7),
            ack_due_at=NOW + timedelta(days=3 - n),
            feedback_due_at=NOW - timedelta(days=n),
            acknowledged_at=None if n % 2 else NOW - timedelta(days=n),
            first_feedback_at=None if n % 3 else NOW + timedelta(hours=n),
        )
        for n in range(12)
    ]


@pytest.mark.parametrize("next_cursor", [None, "WyJ0IiwiMjAyNi0xMS0yNiJd"])
def test_tip_summaries_render_as_the_model(next_cursor: str | None) -> None:
    page = Page(items=_tips(), next_cursor=next_cursor)
    rendered = TipSummaryPage.render(page, lambda tip: TipSummaryPublic.values(tip, NOW))
    assert rendered.media_type == "application/json"
    expected = _model_bytes(TipSummaryPage, page, lambda tip: TipSummaryPublic.of(tip, NOW))
    assert rendered.body == expected
    assert b'"received_at":"2026-11-26T10:00:00.123456Z"' in rendered.body


def test_volunteer_summaries_render_as_the_model() -> None:
    items = [
        VolunteerSummary(
            id=uuid.uuid4(),
            full_name_th="นายสมชาย ใจดี",
            full_name_en=None if n % 2 else 'Somchai "Jai-dee" \\ Test',
            province_code="40",
            district=None if n % 3 else "บ้านไผ่",
            status=list(VolunteerStatus)[n % len(VolunteerStatus)],
            trained=n % 2 == 0,
            applied_at=NOW - timedelta(days=n),
            created_at=NOW - timedelta(days=n),
            possible_duplicate=n == 3,
        )
        for n in range(6)
    ]
    page = Page(items=items, next_cursor="abc")
    rendered = VolunteerSummaryPage.render(page, VolunteerSummaryPublic.values)
    expected = _model_bytes(VolunteerSummaryPage, page, VolunteerSummaryPublic.model_validate)
    assert rendered.body == expected
    assert "นายสมชาย".encode() in rendered.body  # UTF-8, not \\u escapes


def test_audit_entries_render_as_the_model() -> None:
    bangkok = timezone(timedelta(hours=7))
    items = [
        AuditEntry(
            seq=100 - n,
            occurred_at=(NOW - timedelta(seconds=n)).astimezone(bangkok if n == 2 else UTC),
            actor_id=str(uuid.uuid4()) if n else "system",
            actor_role=None if n == 0 else "central_officer",
            action=list(AuditAction)[n % len(AuditAction)].value,
            entity_type="tip" if n else None,
            entity_id=None,
            province_code="40" if n % 2 else None,
            request_id="5f0c2a4e9b7d4c1e",
            details={
                "filters": {"q": "สมชาย", "n": [1, -2, None, True]},
                "count": n,
                "note": 'quote " slash \\ ctrl \x01',
            },
            prev_hash="0" * 64,
            hash=f"{n:064x}",
        )
        for n in range(5)
    ]
    page = Page(items=items, next_cursor=SeqCursor(96).encode())
    rendered = AuditEntryPage.render(page, AuditEntryPublic.values)
    expected = _model_bytes(AuditEntryPage, page, AuditEntryPublic.model_validate)
    assert rendered.body == expected
    assert json.loads(bytes(rendered.body))["items"][2]["occurred_at"].endswith("+07:00")


def test_an_empty_page_renders_as_the_model() -> None:
    page: Page[TipSummary] = Page(items=[])
    rendered = TipSummaryPage.render(page, lambda tip: TipSummaryPublic.values(tip, NOW))
    assert rendered.body == b'{"items":[],"next_cursor":null}'


def test_items_whose_keys_differ_from_the_model_are_refused() -> None:
    page = Page(items=_tips()[:1])
    with pytest.raises(TypeError, match="item keys"):
        TipSummaryPage.render(page, lambda tip: {"id": tip.id})
    with pytest.raises(TypeError, match="item keys"):  # same keys, another order
        TipSummaryPage.render(
            page,
            lambda tip: dict(reversed(list(TipSummaryPublic.values(tip, NOW).items()))),
        )
