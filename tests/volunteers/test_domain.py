from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from domain import policy
from domain.errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from domain.pagination import Cursor, InvalidCursor
from domain.policy import Action, Principal, RecordScope, Role, Scope
from domain.volunteers.identity import (
    check_date_of_birth,
    is_valid_national_id,
    mask_national_id,
    national_id_check_digit,
    normalize_email,
    normalize_full_name_th,
    normalize_national_id,
    normalize_phone,
)
from domain.volunteers.model import (
    ERASED_NAME,
    VOLUNTEER_WORKFLOW,
    Training,
    Transition,
    Volunteer,
    VolunteerStatus,
)
from domain.volunteers.use_cases import (
    SIMPLE_MOVES,
    new_activation_code,
    normalize_activation_code,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
OFFICER = str(uuid.uuid4())


# -- national ID -------------------------------------------------------------------------


def test_check_digit_formula_on_a_worked_example() -> None:
    # 1*13 + 1*12 + 0*11 + 1*10 + 7*9 + 0*8 + 0*7 + 2*6 + 3*5 + 0*4 + 7*3 + 0*2 = 146
    # 146 % 11 = 3; (11 - 3) % 10 = 8
    assert national_id_check_digit("110170023070") == 8
    assert is_valid_national_id("1101700230708")


def test_the_second_example_from_the_brief_fails_the_formula() -> None:
    # 3*13 + 1*12 + 6*9 + 4*6 + 4*5 + 5*4 + 6*3 + 3*2 = 204; 204 % 11 = 6; 11 - 6 = 5, not 1
    assert national_id_check_digit("310060044563") == 5
    assert not is_valid_national_id("3100600445631")
    assert is_valid_national_id("3100600445635")


def test_check_digit_when_the_remainder_is_zero_or_one() -> None:
    assert national_id_check_digit("100000000001") == 7  # 13 + 2 = 15; 15 % 11 = 4; 11 - 4
    assert national_id_check_digit("000000000000") == 1  # remainder 0: (11 - 0) % 10
    assert national_id_check_digit("000000000006") == 0  # 6 * 2 = 12, remainder 1: 10 % 10


@pytest.mark.parametrize("raw", ["1101700230708", "1-1017-00230-70-8", " 1101700230708 "])
def test_valid_national_ids_are_normalised(raw: str) -> None:
    assert normalize_national_id(raw) == "1101700230708"


@pytest.mark.parametrize(
    "raw", ["1101700230707", "3100600445631", "110170023070", "11017002307080", "11017OO230708"]
)
def test_invalid_national_ids_are_refused_without_echoing_them(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_national_id(raw)
    assert raw.strip() not in error.value.detail


def test_mask_shows_only_the_last_four_digits() -> None:
    assert mask_national_id("0708") == "*********0708"
    assert mask_national_id(None) is None


# -- phone, email, names, age -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0812345678", "+66812345678"),
        ("081-234-5678", "+66812345678"),
        ("06 1234 5678", "+66612345678"),
        ("+66912345678", "+66912345678"),
        ("+66 91 234 5678", "+66912345678"),
    ],
)
def test_thai_mobiles_become_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw", ["021234567", "0712345678", "081234567", "08123456789", "+6621234567", "+1555123456"]
)
def test_other_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_phone(raw)


def test_email_is_optional_and_checked() -> None:
    assert normalize_email(None) is None
    assert normalize_email("  ") is None
    assert normalize_email("Som.Chai@Example.ORG") == "Som.Chai@example.org"
    for bad in ("no-at-sign", "a@b", "a b@example.org"):
        with pytest.raises(InvalidInput):
            normalize_email(bad)


def test_thai_name_is_required_and_thai() -> None:
    assert normalize_full_name_th("  นายสมชาย   ใจดี ") == "นายสมชาย ใจดี"
    for bad in ("", "   ", "Somchai Jaidee", "ก" * 201):
        with pytest.raises(InvalidInput):
            normalize_full_name_th(bad)


def test_applicants_must_be_adults_on_the_bangkok_calendar() -> None:
    # 2026-11-25 10:00 UTC is 17:00 in Bangkok: someone born 2008-11-25 turns 18 today.
    assert check_date_of_birth(date(2008, 11, 25), now=NOW) == date(2008, 11, 25)
    with pytest.raises(InvalidInput):
        check_date_of_birth(date(2008, 11, 26), now=NOW)
    # 2026-11-25 20:00 UTC is already the 26th in Bangkok.
    late = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert check_date_of_birth(date(2008, 11, 26), now=late)
    with pytest.raises(InvalidInput):
        check_date_of_birth(date(2030, 1, 1), now=NOW)


# -- the lifecycle -----------------------------------------------------------------------


def applicant() -> Volunteer:
    return Volunteer.apply(
        full_name_th="นายสมชาย ใจดี",
        full_name_en="Somchai Jaidee",
        national_id="1101700230708",
        date_of_birth=date(1985, 4, 12),
        phone="+66812345678",
        email=None,
        province_code="40",
        district="เมือง",
        occupation=None,
        now=NOW,
        actor_id="anonymous",
    )


def test_full_lifecycle_records_history_and_bumps_versions() -> None:
    volunteer = applicant()
    assert volunteer.status is VolunteerStatus.APPLIED
    assert volunteer.version == 1
    steps = [
        (Transition.APPROVE, VolunteerStatus.ACTIVE),
        (Transition.SUSPEND, VolunteerStatus.SUSPENDED),
        (Transition.REINSTATE, VolunteerStatus.ACTIVE),
        (Transition.RETIRE, VolunteerStatus.RETIRED),
    ]
    for step, target in steps:
        change = volunteer.transition(step, reason="ok", actor_id=OFFICER, now=NOW)
        assert change.to_status is target
        assert volunteer.status is target
    assert volunteer.version == 5
    assert [c.to_status for c in volunteer.history] == [
        VolunteerStatus.APPLIED,
        *(target for _, target in steps),
    ]
    assert volunteer.approved_by == uuid.UUID(OFFICER)


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], Transition.SUSPEND),
        ([], Transition.REINSTATE),
        ([], Transition.RETIRE),
        ([Transition.APPROVE], Transition.APPROVE),
        ([Transition.APPROVE], Transition.REJECT),
        ([Transition.APPROVE], Transition.REINSTATE),
        ([Transition.REJECT], Transition.APPROVE),
        ([Transition.APPROVE, Transition.RETIRE], Transition.REINSTATE),
        ([Transition.APPROVE, Transition.SUSPEND], Transition.SUSPEND),
    ],
)
def test_illegal_transitions_are_refused(path: list[Transition], illegal: Transition) -> None:
    volunteer = applicant()
    for step in path:
        volunteer.transition(step, reason="ok", actor_id=OFFICER, now=NOW)
    version = volunteer.version
    with pytest.raises(InvalidTransition):
        volunteer.transition(illegal, reason="ok", actor_id=OFFICER, now=NOW)
    assert volunteer.version == version


def test_the_workflow_has_one_row_per_move_with_its_own_rule_and_audit_action() -> None:
    moves = list(VOLUNTEER_WORKFLOW)
    assert [move.name for move in moves] == list(Transition)
    assert all(move.summary for move in moves)
    assert {move.action for move in moves} == {
        Action.VOLUNTEER_APPROVE,
        Action.VOLUNTEER_REJECT,
        Action.VOLUNTEER_SUSPEND,
        Action.VOLUNTEER_REINSTATE,
        Action.VOLUNTEER_RETIRE,
    }
    assert [move.audit_action for move in moves] == [
        "volunteer.approved",
        "volunteer.rejected",
        "volunteer.suspended",
        "volunteer.reinstated",
        "volunteer.retired",
    ]
    assert set(SIMPLE_MOVES) == {Transition.REJECT, Transition.SUSPEND, Transition.REINSTATE}


def test_a_transition_needs_a_reason() -> None:
    with pytest.raises(InvalidInput):
        applicant().transition(Transition.APPROVE, reason="  ", actor_id=OFFICER, now=NOW)


def test_pledge_once_and_only_when_active() -> None:
    volunteer = applicant()
    with pytest.raises(Conflict):
        volunteer.pledge(on=date(2026, 11, 22), now=NOW)
    volunteer.transition(Transition.APPROVE, reason="ok", actor_id=OFFICER, now=NOW)
    volunteer.pledge(on=date(2026, 11, 22), now=NOW)
    with pytest.raises(Conflict):
        volunteer.pledge(on=date(2026, 11, 23), now=NOW)


def test_erasure_anonymises_but_keeps_counts() -> None:
    volunteer = applicant()
    volunteer.transition(Transition.APPROVE, reason="สมชาย ok", actor_id=OFFICER, now=NOW)
    volunteer.record_training(
        Training(
            uuid.uuid4(), "course", date(2026, 11, 1), 6, "CERT-1", "office", NOW, uuid.uuid4()
        ),
        now=NOW,
    )
    with pytest.raises(Conflict):
        volunteer.erase(now=NOW)  # only once retired (or rejected)
    volunteer.transition(Transition.RETIRE, reason="leaves", actor_id=OFFICER, now=NOW)
    volunteer.erase(now=NOW)
    assert volunteer.full_name_th == ERASED_NAME
    assert volunteer.national_id is None
    assert volunteer.national_id_masked is None
    assert (volunteer.phone, volunteer.email, volunteer.date_of_birth) == (None, None, None)
    assert all(change.reason is None for change in volunteer.history)
    assert len(volunteer.trainings) == 1
    assert volunteer.trainings[0].certificate_number is None
    assert volunteer.erased


def test_cursor_round_trip_and_garbage() -> None:
    cursor = Cursor(at=NOW, id=uuid.uuid4())
    assert Cursor.decode(cursor.encode()) == cursor
    for garbage in ("", "!!!", "e30", "bm90IGpzb24"):
        with pytest.raises(InvalidCursor):
            Cursor.decode(garbage)


def test_activation_codes_carry_120_random_bits() -> None:
    code = new_activation_code()
    assert len(normalize_activation_code(code)) == 24  # 24 base32 chars = 120 bits
    assert normalize_activation_code(code.lower().replace("-", " ")) == normalize_activation_code(
        code
    )
    assert new_activation_code() != code


# -- policy ------------------------------------------------------------------------------

_MANAGE = [
    Action.VOLUNTEER_LIST,
    Action.VOLUNTEER_READ,
    Action.VOLUNTEER_UPDATE,
    Action.VOLUNTEER_APPROVE,
    Action.VOLUNTEER_REJECT,
    Action.VOLUNTEER_SUSPEND,
    Action.VOLUNTEER_REINSTATE,
    Action.VOLUNTEER_RETIRE,
    Action.VOLUNTEER_ERASE,
    Action.VOLUNTEER_TRAINING_RECORD,
    Action.VOLUNTEER_PLEDGE,
]
_SELF = [Action.VOLUNTEER_SELF_READ, Action.VOLUNTEER_SELF_UPDATE, Action.VOLUNTEER_SELF_EXPORT]


def test_volunteer_policy_table() -> None:
    assert {Action.VOLUNTEER_APPLY, Action.VOLUNTEER_ACTIVATE} <= policy.PUBLIC_ACTIONS
    for action in _MANAGE:
        assert policy.RULES[action] == {
            Role.ADMIN: Scope.ALL,
            Role.CENTRAL_OFFICER: Scope.ALL,
            Role.PROVINCIAL_OFFICER: Scope.PROVINCE,
        }
    assert policy.RULES[Action.VOLUNTEER_MOVE] == {
        Role.ADMIN: Scope.ALL,
        Role.CENTRAL_OFFICER: Scope.ALL,
    }
    for action in _SELF:
        assert policy.RULES[action] == {Role.VOLUNTEER: Scope.OWN}
    for role in (Role.AUDITOR, Role.PARTNER, Role.INVESTIGATOR):
        for action in [*_MANAGE, *_SELF, Action.VOLUNTEER_MOVE]:
            assert role not in policy.RULES[action]


def test_provincial_officer_reaches_own_province_only() -> None:
    officer = Principal(account_id=uuid.uuid4(), role=Role.PROVINCIAL_OFFICER, province_code="40")
    for action in _MANAGE:
        assert policy.can_access(officer, action, RecordScope(province_code="40"))
        assert not policy.can_access(officer, action, RecordScope(province_code="10"))
    with pytest.raises(Forbidden):
        policy.require(officer, Action.VOLUNTEER_MOVE)
