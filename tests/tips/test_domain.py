from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput, InvalidTransition
from domain.pagination import Cursor, InvalidCursor
from domain.policy import Action, Principal, Role
from domain.tips.access import can_see, visibility
from domain.tips.deadlines import (
    DeadlineRules,
    DeadlineStatus,
    add_months,
    buddhist_year,
    format_reference,
)
from domain.tips.model import (
    TIP_WORKFLOW,
    Accused,
    Incident,
    Tip,
    TipCategory,
    TipChannel,
    TipOutcome,
    TipStatus,
)
from domain.tips.receipts import ALPHABET, new_receipt, normalize_receipt

RULES = DeadlineRules()
T0 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
OFFICER = Principal(uuid.uuid4(), Role.PROVINCIAL_OFFICER, "40")


def make_tip(**overrides: object) -> Tip:
    fields: dict[str, object] = {
        "reference": "TIP-2569-000001",
        "province_code": "40",
        "category": TipCategory.BRIBERY,
        "channel": TipChannel.WEB,
        "description": "ก" * 20,
        "received_at": T0,
        "rules": RULES,
    }
    fields.update(overrides)
    return Tip.new(**fields)  # type: ignore[arg-type]


def test_the_happy_path_records_each_transition() -> None:
    tip = make_tip()
    tip.acknowledge(actor=OFFICER, at=T0 + timedelta(days=1), rules=RULES)
    tip.start_review(actor=OFFICER, at=T0 + timedelta(days=2))
    tip.close(
        actor=OFFICER,
        at=T0 + timedelta(days=3),
        outcome=TipOutcome.SUBSTANTIATED,
        reason="พบหลักฐาน",
    )
    assert tip.status is TipStatus.CLOSED
    assert tip.outcome is TipOutcome.SUBSTANTIATED
    assert [(e.from_status, e.to_status) for e in tip.new_events] == [
        (TipStatus.RECEIVED, TipStatus.ACKNOWLEDGED),
        (TipStatus.ACKNOWLEDGED, TipStatus.IN_REVIEW),
        (TipStatus.IN_REVIEW, TipStatus.CLOSED),
    ]
    assert all(e.actor_id == OFFICER.account_id for e in tip.new_events)
    assert tip.first_feedback_at == T0 + timedelta(days=3)  # the closure is feedback


def test_investigating_is_reachable_from_review_only_and_can_close() -> None:
    tip = make_tip()
    with pytest.raises(InvalidTransition):
        tip.start_investigation(actor=OFFICER, at=T0)
    tip.acknowledge(actor=OFFICER, at=T0, rules=RULES)
    tip.start_review(actor=OFFICER, at=T0)
    tip.start_investigation(actor=OFFICER, at=T0)
    assert tip.status is TipStatus.INVESTIGATING
    tip.close(actor=OFFICER, at=T0, outcome=TipOutcome.REFERRED, reason="ส่ง ป.ป.ท.")


def test_illegal_transitions_are_refused() -> None:
    tip = make_tip()
    with pytest.raises(InvalidTransition):
        tip.start_review(actor=OFFICER, at=T0)
    with pytest.raises(InvalidTransition):
        tip.close(actor=OFFICER, at=T0, outcome=TipOutcome.DUPLICATE, reason="ซ้ำ")
    tip.acknowledge(actor=OFFICER, at=T0, rules=RULES)
    with pytest.raises(InvalidTransition):
        tip.acknowledge(actor=OFFICER, at=T0, rules=RULES)
    assert tip.status is TipStatus.ACKNOWLEDGED


MOVES = {
    "acknowledge": lambda tip: tip.acknowledge(actor=OFFICER, at=T0, rules=RULES),
    "review": lambda tip: tip.start_review(actor=OFFICER, at=T0),
    "investigate": lambda tip: tip.start_investigation(actor=OFFICER, at=T0),
    "close": lambda tip: tip.close(
        actor=OFFICER, at=T0, outcome=TipOutcome.REFERRED, reason="ส่งต่อ"
    ),
}


@pytest.mark.parametrize("status", list(TipStatus))
@pytest.mark.parametrize("move", [move.name for move in TIP_WORKFLOW])
def test_each_move_is_allowed_exactly_from_its_sources(status: TipStatus, move: str) -> None:
    step = TIP_WORKFLOW[move]
    tip = make_tip()
    tip.status = status
    if status in step.sources:
        event = MOVES[move](tip)
        assert (event.from_status, event.to_status, tip.status) == (
            status,
            step.target,
            step.target,
        )
        assert tip.new_events == [event]
    else:
        with pytest.raises(InvalidTransition):
            MOVES[move](tip)
        assert tip.status is status
        assert tip.new_events == []


def test_closing_needs_a_reason() -> None:
    tip = make_tip()
    tip.acknowledge(actor=OFFICER, at=T0, rules=RULES)
    tip.start_review(actor=OFFICER, at=T0)
    with pytest.raises(InvalidInput):
        tip.close(actor=OFFICER, at=T0, outcome=TipOutcome.DUPLICATE, reason="  ")


@pytest.mark.parametrize(
    "overrides",
    [
        {"description": "สั้นเกินไป"},
        {"description": "ก" * 10_001},
        {"amount_thb": -1},
        {"incident": Incident(date=T0.date(), period_start=T0.date())},
        {"incident": Incident(period_start=T0.date(), period_end=T0.date() - timedelta(days=1))},
    ],
)
def test_invalid_tips_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        make_tip(**overrides)


def test_accusing_the_provincial_office_recuses_the_province() -> None:
    tip = make_tip(
        accused=Accused(office="สำนักงานแรงงานจังหวัดขอนแก่น", is_provincial_labour_office=True)
    )
    assert tip.recused_province_code == "40"
    with pytest.raises(InvalidInput):
        tip.reassign("40")
    assert tip.reassign("41") == "40"
    assert tip.province_code == "41"


def test_deadlines_default_to_7_days_and_3_months() -> None:
    tip = make_tip()
    assert tip.ack_due_at == T0 + timedelta(days=7)
    assert tip.feedback_due_at == datetime(2027, 3, 2, 3, 0, tzinfo=UTC)  # ack_due + 3 months
    tip.acknowledge(actor=OFFICER, at=T0 + timedelta(days=2), rules=RULES)
    assert tip.feedback_due_at == datetime(2027, 2, 27, 3, 0, tzinfo=UTC)


def test_deadline_statuses_around_the_boundary() -> None:
    tip = make_tip()
    due = tip.ack_due_at
    assert tip.ack_status(due - timedelta(seconds=1)) is DeadlineStatus.PENDING
    assert tip.ack_status(due) is DeadlineStatus.PENDING
    assert tip.ack_status(due + timedelta(seconds=1)) is DeadlineStatus.OVERDUE
    tip.acknowledge(actor=OFFICER, at=due, rules=RULES)
    assert tip.ack_status(due + timedelta(days=100)) is DeadlineStatus.MET
    late = make_tip()
    late.acknowledge(actor=OFFICER, at=due + timedelta(seconds=1), rules=RULES)
    assert late.ack_status(due + timedelta(days=1)) is DeadlineStatus.OVERDUE  # a breach stays


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 10, 15, tzinfo=UTC), 3) == datetime(2027, 1, 15, tzinfo=UTC)


def test_reference_uses_the_buddhist_year_in_bangkok() -> None:
    assert buddhist_year(datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)) == 2569
    assert buddhist_year(datetime(2026, 12, 31, 17, 0, 0, tzinfo=UTC)) == 2570  # BKK new year
    assert format_reference(2569, 123) == "TIP-2569-000123"


def test_receipts_are_grouped_crockford_and_forgiving() -> None:
    receipts = {new_receipt() for _ in range(200)}
    assert len(receipts) == 200
    for receipt in receipts:
        groups = receipt.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4, 4]
        assert set("".join(groups)) <= set(ALPHABET)
        assert normalize_receipt(receipt) == receipt.replace("-", "")
    assert normalize_receipt(" abcd-efgh ijkm-no1l-pqrs ") == "ABCDEFGH1JKMN011PQRS"


def principal(role: Role, province: str | None = None) -> Principal:
    return Principal(uuid.uuid4(), role, province)


def test_visibility_and_can_see_agree() -> None:
    volunteer = principal(Role.VOLUNTEER, "40")
    recused = make_tip(accused=Accused(is_provincial_labour_office=True))
    own = make_tip(reporter_account_id=volunteer.account_id)
    other_province = make_tip(province_code="41")
    plain = make_tip()
    every = {"plain": plain, "own": own, "recused": recused, "other": other_province}
    cases = [
        (principal(Role.PROVINCIAL_OFFICER, "40"), {"plain", "own"}),
        (principal(Role.PROVINCIAL_OFFICER, "41"), {"other"}),
        (principal(Role.CENTRAL_OFFICER), set(every)),
        (principal(Role.ADMIN), set(every)),
        (volunteer, {"own"}),
        (principal(Role.INVESTIGATOR), set()),
        (principal(Role.AUDITOR), set()),
        (principal(Role.PARTNER), set()),
    ]
    for who, expected in cases:
        seen = {name for name, t in every.items() if can_see(who, Action.TIP_READ, t)}
        assert seen == expected, who.role
    assert visibility(principal(Role.AUDITOR), Action.TIP_READ).nothing
    assert visibility(None, Action.TIP_READ).nothing


def test_cursor_round_trip_and_garbage() -> None:
    cursor = Cursor(at=T0, id=uuid.uuid4())
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ["", "x", "bm90IGpzb24", "WyJhIiwgImIiXQ"]:
        with pytest.raises(InvalidCursor):
            Cursor.decode(bad)
