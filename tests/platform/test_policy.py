from __future__ import annotations

import uuid

import pytest

from domain import policy
from domain.errors import Forbidden, NotAuthenticated
from domain.policy import RULES, Action, Principal, RecordScope, Role, Scope


def principal(role: Role, province: str | None = None) -> Principal:
    return Principal(account_id=uuid.uuid4(), role=role, province_code=province)


def test_public_actions_need_no_principal() -> None:
    assert policy.require(None, Action.PROVINCE_READ) is Scope.ALL


def test_every_action_has_a_rule() -> None:
    assert set(RULES) == set(Action)


def test_unknown_rule_denies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RULES, Action.PROVINCE_READ, {})
    monkeypatch.setattr(policy, "PUBLIC_ACTIONS", frozenset())
    with pytest.raises(NotAuthenticated):
        policy.require(None, Action.PROVINCE_READ)
    with pytest.raises(Forbidden):
        policy.require(principal(Role.ADMIN), Action.PROVINCE_READ)


def test_province_scope_reaches_only_own_province(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RULES, Action.PROVINCE_READ, {Role.PROVINCIAL_OFFICER: Scope.PROVINCE})
    monkeypatch.setattr(policy, "PUBLIC_ACTIONS", frozenset())
    officer = principal(Role.PROVINCIAL_OFFICER, "40")
    assert policy.can_access(officer, Action.PROVINCE_READ, RecordScope(province_code="40"))
    assert not policy.can_access(officer, Action.PROVINCE_READ, RecordScope(province_code="10"))
    assert not policy.can_access(officer, Action.PROVINCE_READ, RecordScope())


def test_own_scope_reaches_only_own_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RULES, Action.PROVINCE_READ, {Role.VOLUNTEER: Scope.OWN})
    monkeypatch.setattr(policy, "PUBLIC_ACTIONS", frozenset())
    volunteer = principal(Role.VOLUNTEER, "40")
    mine = RecordScope(province_code="40", owner_id=volunteer.account_id)
    theirs = RecordScope(province_code="40", owner_id=uuid.uuid4())
    assert policy.can_access(volunteer, Action.PROVINCE_READ, mine)
    assert not policy.can_access(volunteer, Action.PROVINCE_READ, theirs)
