"""The first admin: created once at start (from settings or generated), and by the CLI."""

from __future__ import annotations

import asyncio
import io

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from api import cli
from api.bootstrap import bootstrap_first_admin
from api.settings import Environment, Settings, get_settings
from auth.passwords import Argon2PasswordHasher
from domain.accounts.model import Account
from domain.accounts.use_cases import bootstrap_admin
from domain.clock import FrozenClock, SystemClock
from domain.policy import Role
from persistence.audit.tables import AuditRow
from persistence.db import create_engine, create_session_factory
from persistence.uow import SqlUnitOfWork

HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=1024)


async def test_bootstrap_uses_the_configured_admin_once(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    factory = create_session_factory(db)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        result = await bootstrap_admin(
            uow, HASHER, username="Chief", password="a configured passphrase"
        )
    assert result is not None
    assert result.generated_password is None
    assert result.account.username == "chief"
    assert result.account.role is Role.ADMIN
    assert result.account.must_change_password is False

    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await bootstrap_admin(uow, HASHER, username=None, password=None) is None
        assert await uow.accounts.count() == 1
    async with factory() as session:
        audit = (await session.exec(select(AuditRow))).all()
    assert [(a.action, a.actor_id) for a in audit] == [("user.created", "system")]


async def test_bootstrap_without_settings_prints_a_generated_password(
    db: AsyncEngine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(_env_file=None, environment=Environment.TEST, database_url=database_url)
    await bootstrap_first_admin(db, settings)
    printed = capsys.readouterr().out
    assert "Created the admin account 'admin'" in printed
    password = printed.split("one-time password:")[1].split()[0]

    async with SqlUnitOfWork(
        create_session_factory(db), clock=FrozenClock.__new__(FrozenClock)
    ) as uow:
        admin = await uow.accounts.get_by_username("admin")
    assert admin is not None
    assert admin.password_hash is not None
    assert admin.must_change_password is True
    assert (await HASHER.verify(password, admin.password_hash))[0]

    await bootstrap_first_admin(db, settings)  # an account exists: nothing happens
    assert capsys.readouterr().out == ""


def test_cli_creates_an_admin_from_stdin(
    db: AsyncEngine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A plain (sync) test: the CLI runs its own event loop, like `python -m api.cli`.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a passphrase from stdin\n"))
    get_settings.cache_clear()
    try:
        assert cli.main(["create-admin", "--username", "Somchai", "--password-stdin"]) == 0
        assert "Created the admin account 'somchai'" in capsys.readouterr().out
        monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
        assert cli.main(["create-admin", "--username", "other", "--password-stdin"]) == 1
        assert "at least 12" in capsys.readouterr().err
        assert cli.main(["create-admin", "--username", "SOMCHAI"]) == 1
        assert "already taken" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()

    async def load() -> Account | None:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with SqlUnitOfWork(create_session_factory(engine), clock=SystemClock()) as uow:
                return await uow.accounts.get_by_username("somchai")
        finally:
            await engine.dispose()

    created = asyncio.run(load())
    assert created is not None
    assert created.role is Role.ADMIN
    assert created.must_change_password is False


async def test_bootstrap_refuses_a_weak_configured_password(
    db: AsyncEngine, database_url: str
) -> None:
    settings = Settings(
        _env_file=None,
        environment=Environment.TEST,
        database_url=database_url,
        bootstrap_admin_username="chief",
        bootstrap_admin_password="short",
    )
    with pytest.raises(SystemExit, match="at least 12"):
        await bootstrap_first_admin(db, settings)
