"""Every migration applies to an empty database, downgrades to nothing and re-applies."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.db import create_engine
from persistence.migrate import alembic_config, current_revision, head_revision, upgrade_to_head


@pytest.fixture
async def scratch_engine(engine: AsyncEngine, database_url: str) -> AsyncIterator[AsyncEngine]:
    name = f"duangta_migrations_{uuid.uuid4().hex[:8]}"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = create_engine(
        make_url(database_url).set(database=name).render_as_string(hide_password=False),
        pool_size=1,
    )
    try:
        yield scratch
    finally:
        await scratch.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_upgrade_downgrade_upgrade(scratch_engine: AsyncEngine) -> None:
    await upgrade_to_head(scratch_engine)
    assert await current_revision(scratch_engine) == head_revision()

    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    async with scratch_engine.begin() as conn:
        await conn.run_sync(downgrade)
    assert await current_revision(scratch_engine) is None
    async with scratch_engine.connect() as conn:
        tables = (
            (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert tables == []

    await upgrade_to_head(scratch_engine)
    assert await current_revision(scratch_engine) == head_revision()
