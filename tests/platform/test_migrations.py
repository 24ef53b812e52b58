"""Migrations: they apply, downgrade and re-apply, and they build what the models declare.

The models' constraint names come from the naming convention of persistence/base.py,
which must be on the metadata before the first table is declared; the migrations spell
the same names with `op.f()`.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import persistence.tables  # noqa: F401  (every table on the metadata)
from persistence.base import NAMING_CONVENTION, metadata
from persistence.db import create_engine
from persistence.migrate import (
    ROOT,
    alembic_config,
    current_revision,
    head_revision,
    upgrade_to_head,
)
from tests.platform.naming import convention_problems

#: Every module that declares a table.
TABLE_MODULES = sorted({mapper.class_.__module__ for mapper in SQLModel._sa_registry.mappers})


def test_the_metadata_carries_the_naming_convention() -> None:
    assert metadata is SQLModel.metadata
    assert SQLModel.metadata.naming_convention == NAMING_CONVENTION


def test_every_constraint_and_index_is_named_by_the_convention() -> None:
    assert convention_problems(SQLModel.metadata) == []


@pytest.mark.parametrize("module", TABLE_MODULES)
def test_a_tables_module_imported_first_still_gets_the_convention(module: str) -> None:
    """In a fresh interpreter, import the module before anything else (then the others,
    for the tables its foreign keys refer to): its tables must be named by the convention
    all the same (persistence/__init__.py sets it)."""
    script = (
        f"import {module}\n"
        "import persistence.tables\n"
        "from sqlmodel import SQLModel\n"
        "from tests.platform.naming import convention_problems\n"
        "problems = convention_problems(SQLModel.metadata)\n"
        "assert SQLModel.metadata.tables, 'no table declared'\n"
        "assert not problems, problems\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter running a fixed script
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


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
