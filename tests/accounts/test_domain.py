"""Account rules that need no database: passwords, cursors, token freshness, forced change."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain import policy
from domain.accounts.model import (
    UNSET,
    Account,
    AccountChanges,
    check_password_rules,
    generate_password,
)
from domain.errors import Forbidden, InvalidInput
from domain.pagination import Cursor
from domain.policy import Action, PasswordChangeRequired, Role

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def account(role: Role = Role.PROVINCIAL_OFFICER, province: str | None = "40") -> Account:
    return Account.new(
        username="somchai",
        display_name="x",
        role=role,
        password_hash=None,
        now=NOW,
        province_code=province,
    )


@pytest.mark.parametrize("length", [0, 11, 1025, 5000])
def test_passwords_outside_12_to_1024_characters_are_refused(length: int) -> None:
    with pytest.raises(InvalidInput):
        check_password_rules("p" * length)


@pytest.mark.parametrize("length", [12, 1024])
def test_passwords_of_12_to_1024_characters_are_accepted(length: int) -> None:
    check_password_rules("ป" * length)  # characters, not bytes


def test_generated_passwords_are_long_and_distinct() -> None:
    first, second = generate_password(), generate_password()
    check_password_rules(first)
    assert first != second


def test_cursor_round_trips_and_garbage_is_invalid_input() -> None:
    a = account()
    encoded = Cursor(at=a.created_at, id=a.id).encode()
    assert Cursor.decode(encoded) == Cursor(at=a.created_at, id=a.id)
    for bad in ("", "!!!", "bm90IGpzb24", encoded[:-3]):
        with pytest.raises(InvalidInput):
            Cursor.decode(bad)


def test_a_token_matches_only_the_current_role_province_and_active_state() -> None:
    a = account()
    claimed = a.principal()
    assert a.matches(claimed)
    assert not a.matches(replace(claimed, role=Role.VOLUNTEER))
    assert not a.matches(replace(claimed, province_code="10"))
    assert not a.matches(replace(claimed, account_id=uuid.uuid4()))
    a.is_active = False
    assert not a.matches(claimed)


def test_an_account_that_must_change_its_password_may_only_do_that() -> None:
    a = account(Role.ADMIN, None)
    a.must_change_password = True
    caller = a.principal()
    policy.require(caller, Action.ME_READ)
    policy.require(caller, Action.ME_PASSWORD_CHANGE)
    policy.require(caller, Action.AUTH_LOGOUT)
    with pytest.raises(PasswordChangeRequired):
        policy.require(caller, Action.USER_LIST)
    assert issubclass(PasswordChangeRequired, Forbidden)


def test_user_management_belongs_to_admins_and_reading_to_central_officers() -> None:
    assert set(policy.RULES[Action.USER_UPDATE]) == {Role.ADMIN}
    assert set(policy.RULES[Action.USER_READ]) == {Role.ADMIN, Role.CENTRAL_OFFICER}
    assert Action.USER_LIST not in policy.PUBLIC_ACTIONS


def test_account_changes_tell_unset_fields_from_fields_set_to_none() -> None:
    assert AccountChanges().given() == {}
    changes = AccountChanges(email=None, role=Role.AUDITOR, is_active=False)
    assert changes.given() == {"email": None, "role": Role.AUDITOR, "is_active": False}
    assert changes.display_name is UNSET
