"""The investigation entity, its workflow table and the visibility rule (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.errors import Conflict, InvalidInput, InvalidTransition
from domain.investigations.access import can_see, visibility
from domain.investigations.errors import InvestigationConcluded
from domain.investigations.model import (
    INVESTIGATION_WORKFLOW,
    REPORTER_MESSAGES,
    TIP_OUTCOMES,
    AssignmentRole,
    Evidence,
    Investigation,
    InvestigationOutcome,
    InvestigationStatus,
    Priority,
    TimelineKind,
    Transition,
    format_reference,
)
from domain.policy import RULES, Action, Principal, Role

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
S = InvestigationStatus


def principal(role: Role, province: str | None = None) -> Principal:
    return Principal(uuid.uuid4(), role, province)


CENTRAL = principal(Role.CENTRAL_OFFICER)


def case(
    lead: str = "40", recused: frozenset[str] = frozenset(), **fields: object
) -> Investigation:
    investigation = Investigation.open(
        investigation_id=uuid.uuid4(),
        reference=format_reference(2569, 42),
        title="  เรียกรับเงิน  ",
        lead_province_code=lead,
        tip_ids=[uuid.uuid4(), uuid.uuid4()],
        recused_province_codes=recused,
        priority=Priority.NORMAL,
        due_on=None,
        actor=CENTRAL,
        at=T0,
    )
    for name, value in fields.items():
        setattr(investigation, name, value)
    return investigation


def test_opening() -> None:
    investigation = case()
    assert investigation.reference == "INV-2569-000042"
    assert investigation.title == "เรียกรับเงิน"
    assert (investigation.status, investigation.version) == (S.OPEN, 1)
    (entry,) = investigation.new_entries
    assert (entry.kind, entry.to_status, entry.actor_id) == (
        TimelineKind.OPENED,
        S.OPEN,
        CENTRAL.account_id,
    )
    with pytest.raises(InvalidInput):
        Investigation.open(
            investigation_id=uuid.uuid4(),
            reference="INV-2569-000001",
            title=" ",
            lead_province_code="40",
            tip_ids=[uuid.uuid4()],
            recused_province_codes=frozenset(),
            priority=Priority.LOW,
            due_on=None,
            actor=CENTRAL,
            at=T0,
        )


def test_the_workflow_table() -> None:
    moves = {
        move.name: ({s.value for s in move.sources}, move.target.value, move.action)
        for move in INVESTIGATION_WORKFLOW
    }
    assert moves == {
        "start": ({"open"}, "in_progress", Action.INVESTIGATION_START),
        "hold": ({"in_progress"}, "on_hold", Action.INVESTIGATION_HOLD),
        "resume": ({"on_hold"}, "in_progress", Action.INVESTIGATION_RESUME),
        "conclude": ({"in_progress", "on_hold"}, "concluded", Action.INVESTIGATION_CONCLUDE),
        "reopen": ({"concluded"}, "in_progress", Action.INVESTIGATION_REOPEN),
    }
    assert set(RULES[Action.INVESTIGATION_REOPEN]) == {Role.CENTRAL_OFFICER}
    assert set(TIP_OUTCOMES) == set(REPORTER_MESSAGES) == set(InvestigationOutcome)


def test_every_illegal_move_is_refused_and_leaves_no_trace() -> None:
    for status in InvestigationStatus:
        for move in INVESTIGATION_WORKFLOW:
            if status in move.sources:
                continue
            investigation = case(status=status)
            outcome = InvestigationOutcome.REFERRED if move.name == "conclude" else None
            with pytest.raises(InvalidTransition):
                investigation.move(
                    Transition(move.name), actor=CENTRAL, at=T0, reason="x", outcome=outcome
                )
            assert (investigation.status, investigation.version) == (status, 1)
            assert len(investigation.new_entries) == 1


def test_moves_need_a_reason_and_conclusions_an_outcome() -> None:
    investigation = case()
    with pytest.raises(InvalidInput):
        investigation.move(Transition.START, actor=CENTRAL, at=T0, reason="   ")
    with pytest.raises(InvalidInput):
        investigation.move(
            Transition.START,
            actor=CENTRAL,
            at=T0,
            reason="x",
            outcome=InvestigationOutcome.REFERRED,
        )
    investigation.move(Transition.START, actor=CENTRAL, at=T0, reason="เริ่ม")
    with pytest.raises(InvalidInput):
        investigation.move(Transition.CONCLUDE, actor=CENTRAL, at=T0, reason="x")
    later = T0 + timedelta(days=3)
    entry = investigation.move(
        Transition.CONCLUDE,
        actor=CENTRAL,
        at=later,
        reason="จบ",
        outcome=InvestigationOutcome.SUBSTANTIATED,
        findings=" พบจริง ",
    )
    assert (entry.from_status, entry.to_status, entry.text, entry.fields) == (
        S.IN_PROGRESS,
        S.CONCLUDED,
        "จบ",
        ("findings",),
    )
    assert (investigation.outcome, investigation.concluded_at) == (
        InvestigationOutcome.SUBSTANTIATED,
        later,
    )
    assert (investigation.findings, investigation.version) == ("พบจริง", 3)
    with pytest.raises(InvestigationConcluded):
        investigation.update(actor=CENTRAL, at=later, title="y", fields=frozenset({"title"}))
    investigation.move(Transition.REOPEN, actor=CENTRAL, at=later, reason="พยานใหม่")
    assert (investigation.status, investigation.outcome, investigation.concluded_at) == (
        S.IN_PROGRESS,
        None,
        None,
    )


def test_concluding_may_record_the_amounts_and_reopening_clears_them() -> None:
    investigation = case()
    with pytest.raises(InvalidInput):
        investigation.move(
            Transition.START, actor=CENTRAL, at=T0, reason="x", damage_estimated_thb=Decimal(1)
        )
    investigation.move(Transition.START, actor=CENTRAL, at=T0, reason="เริ่ม")
    with pytest.raises(InvalidInput):
        investigation.move(
            Transition.CONCLUDE,
            actor=CENTRAL,
            at=T0,
            reason="จบ",
            outcome=InvestigationOutcome.SUBSTANTIATED,
            amount_recovered_thb=Decimal("-1"),
        )
    investigation.move(
        Transition.CONCLUDE,
        actor=CENTRAL,
        at=T0,
        reason="จบ",
        outcome=InvestigationOutcome.SUBSTANTIATED,
        damage_estimated_thb=Decimal("125000.50"),
        amount_recovered_thb=Decimal("40000"),
    )
    assert investigation.damage_estimated_thb == Decimal("125000.50")
    assert investigation.amount_recovered_thb == Decimal("40000")
    investigation.move(Transition.REOPEN, actor=CENTRAL, at=T0, reason="พยานใหม่")
    assert investigation.damage_estimated_thb is None
    assert investigation.amount_recovered_thb is None


def test_updates_change_only_what_differs() -> None:
    investigation = case()
    changed = investigation.update(
        actor=CENTRAL,
        at=T0,
        title="เรียกรับเงิน",
        priority=Priority.HIGH,
        fields=frozenset({"title", "priority"}),
    )
    assert changed == ["priority"]
    assert investigation.version == 2
    assert investigation.update(actor=CENTRAL, at=T0, fields=frozenset()) == []
    assert investigation.version == 2
    with pytest.raises(InvalidInput):
        investigation.update(actor=CENTRAL, at=T0, priority=None, fields=frozenset({"priority"}))


def test_the_team_has_one_lead() -> None:
    investigation = case()
    first, second = uuid.uuid4(), uuid.uuid4()
    investigation.assign(first, AssignmentRole.LEAD, actor=CENTRAL, at=T0)
    investigation.assign(second, AssignmentRole.LEAD, actor=CENTRAL, at=T0)
    assert investigation.lead_investigator_id == second
    assert {a.account_id: a.role for a in investigation.assignments} == {
        first: AssignmentRole.MEMBER,
        second: AssignmentRole.LEAD,
    }
    with pytest.raises(Conflict):
        investigation.assign(second, AssignmentRole.LEAD, actor=CENTRAL, at=T0)
    investigation.unassign(second, actor=CENTRAL, at=T0)
    assert investigation.lead_investigator_id is None
    with pytest.raises(InvalidInput):
        investigation.unassign(second, actor=CENTRAL, at=T0)
    assert investigation.version == 4


def test_notes_and_evidence_do_not_move_the_version() -> None:
    investigation = case()
    investigation.add_note(" บันทึก ", actor=CENTRAL, at=T0)
    entry = investigation.add_evidence(
        Evidence(item=" เอกสาร ", source="ผู้แจ้ง", location="ตู้", custodian="สุดา"),
        actor=CENTRAL,
        at=T0,
    )
    assert entry.evidence == Evidence("เอกสาร", "ผู้แจ้ง", "ตู้", "สุดา")
    assert investigation.version == 1
    with pytest.raises(InvalidInput):
        investigation.add_note("", actor=CENTRAL, at=T0)
    with pytest.raises(InvalidInput):
        investigation.add_evidence(Evidence("x", "", "y", "z"), actor=CENTRAL, at=T0)


def test_overdue_on_the_bangkok_calendar() -> None:
    # 20:00 UTC on 1 December is already 2 December in Bangkok.
    evening = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    investigation = case(due_on=date(2026, 12, 1))
    assert investigation.is_overdue(evening)
    assert not investigation.is_overdue(datetime(2026, 12, 1, 16, 0, tzinfo=UTC))
    investigation.status = S.CONCLUDED
    assert not investigation.is_overdue(evening)


def test_visibility_and_can_see_agree() -> None:
    investigator = principal(Role.INVESTIGATOR)
    plain = case()
    recused = case(recused=frozenset({"40"}))
    elsewhere = case(lead="10")
    assigned = case(lead="10")
    assigned.assign(investigator.account_id, AssignmentRole.MEMBER, actor=CENTRAL, at=T0)
    every = {"plain": plain, "recused": recused, "elsewhere": elsewhere, "assigned": assigned}
    cases = [
        (principal(Role.PROVINCIAL_OFFICER, "40"), {"plain"}),
        (principal(Role.PROVINCIAL_OFFICER, "10"), {"elsewhere", "assigned"}),
        (CENTRAL, set(every)),
        (principal(Role.ADMIN), set(every)),
        (investigator, {"assigned"}),
        (principal(Role.INVESTIGATOR), set()),
        (principal(Role.VOLUNTEER, "40"), set()),
        (principal(Role.AUDITOR), set()),
        (principal(Role.PARTNER), set()),
    ]
    for who, expected in cases:
        seen = {name for name, c in every.items() if can_see(who, Action.INVESTIGATION_READ, c)}
        assert seen == expected, who.role
        view = visibility(who, Action.INVESTIGATION_READ)
        assert view.nothing == (not expected and who.role is not Role.INVESTIGATOR), who.role
    assert visibility(None, Action.INVESTIGATION_READ).nothing
