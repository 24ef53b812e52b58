"""Contract fuzzing (Schemathesis) in-process against the ASGI app.

The app under fuzz is its own: Schemathesis calls it from a thread with an event loop of
its own (schemathesis/python/asgi.py), where the app's lifespan opens its own engine on
the test database. One account per role is made for the whole run (the fuzz tests do not
empty the database between operations: a clean slate per test cost more than the fuzzing);
each test gets a fresh token for it, with the same token configuration as the fuzzed app.

`FUZZ=long` (`make fuzz`) runs many more examples, the coverage phase (boundary and
negative values of every parameter) and longer stateful scenarios; the default is the
bounded run of `make test`. `FUZZ_REPORT=path` writes the counts of the run as JSON.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from schemathesis.python import asgi

from api.app import create_app
from api.services import services_of
from auth.passwords import Argon2PasswordHasher
from auth.tokens import issue_access_token
from domain.accounts.model import Account
from domain.clock import SystemClock
from domain.policy import PROVINCIAL_ROLES, Role
from persistence.uow import SqlUnitOfWork
from tests.conftest import test_settings

LONG = os.environ.get("FUZZ") == "long"

#: Anonymous, then every role.
CALLERS: list[Role | None] = [None, *Role]

#: (phase, caller) -> requests sent, and (phase, caller) -> operations covered.
CASES: Counter[tuple[str, str]] = Counter()
OPERATIONS: dict[tuple[str, str], set[str]] = {}


def caller_name(role: Role | None) -> str:
    return "anonymous" if role is None else role.value


def count(phase: str, role: Role | None, operation: str) -> None:
    key = (phase, caller_name(role))
    CASES[key] += 1
    OPERATIONS.setdefault(key, set()).add(operation)


@pytest.fixture(scope="module")
def fuzz_app(database_url: str, password_hasher: Argon2PasswordHasher) -> Iterator[FastAPI]:
    """The app under fuzz, with budgets that the fuzzer cannot exhaust (a 429 answers
    nothing about the operation), a cheap password hash and a small pool (its lifespan,
    hence its connections, end with the module)."""
    generous = "1000000/hour"
    settings = test_settings(database_url).model_copy(
        update={
            "database_pool_size": 2,
            "tip_submit_anonymous_rate": generous,
            "tip_follow_up_failure_rate": generous,
            "tip_reporter_message_rate": generous,
            "volunteer_application_rate": generous,
            "volunteer_activation_failure_rate": generous,
        }
    )
    yield create_app(settings, password_hasher=password_hasher)
    asgi.shutdown_lifespans()  # closes the fuzzed app's engine and its connections


#: The account of each role, made once for the run (again if a test emptied the table).
_ACCOUNTS: dict[Role, Account] = {}


@pytest.fixture
async def caller(role: Role | None, shared_app: FastAPI) -> dict[str, str]:
    """Authorization headers of the run's account of the role (none for anonymous)."""
    if role is None:
        return {}
    services = services_of(shared_app)
    clock = SystemClock()
    async with SqlUnitOfWork(services.database.sessions(), clock=clock) as uow:
        account = _ACCOUNTS.get(role)
        if account is None or await uow.accounts.get(account.id) is None:
            account = Account.new(
                username=f"fuzz-{role.value.replace('_', '-')}-{uuid.uuid4().hex[:8]}",
                display_name=f"Fuzz {role.value}",
                role=role,
                password_hash=None,
                now=clock.now(),
                province_code="40" if role in PROVINCIAL_ROLES else None,
                agency_code="NACC" if role is Role.PARTNER else None,
            )
            await uow.accounts.add(account)
            await uow.commit()
            _ACCOUNTS[role] = account
    issued = issue_access_token(services.token_config, account.principal(), now=clock.now())
    return {"Authorization": f"Bearer {issued.token}"}


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("FUZZ_REPORT")
    if not target or not CASES:
        return
    report = {
        "profile": "long" if LONG else "bounded",
        "runs": [
            {
                "phase": phase,
                "caller": who,
                "requests": CASES[(phase, who)],
                "operations": len(OPERATIONS[(phase, who)]),
            }
            for phase, who in sorted(CASES)
        ],
    }
    Path(target).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
