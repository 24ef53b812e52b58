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
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import persistence.tables  # noqa: F401  (every table on the metadata)
from persistence.base import NAMING_CONVENTION, metadata
from persistence.db import create_engine
from persistence.migrate import (
    COMPARE_OPTIONS,
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


@pytest.mark.parametrize("module", ["persistence.tips.tables", "persistence.accounts.tables"])
def test_a_tables_module_imported_first_still_gets_the_convention(module: str) -> None:
    """In a fresh interpreter, import a tables module before anything else (then the
    others, for the tables its foreign keys refer to): its tables must be named by the
    convention all the same. persistence/__init__.py sets it, and Python runs a package's
    __init__ before any of its modules, so two modules stand for all (a fresh interpreter
    costs a second of imports): one whose tables refer to others, one that is referred to.
    """
    assert module in TABLE_MODULES
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


class ScratchDatabases:
    """Empty databases on the test server, dropped when the test ends."""

    def __init__(self, engine: AsyncEngine, database_url: str) -> None:
        self._admin = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._url = make_url(database_url)
        self._made: list[tuple[str, AsyncEngine]] = []

    async def new(self) -> AsyncEngine:
        name = f"duangta_migrations_{uuid.uuid4().hex[:8]}"
        async with self._admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        scratch = create_engine(
            self._url.set(database=name).render_as_string(hide_password=False), pool_size=1
        )
        self._made.append((name, scratch))
        return scratch

    async def drop_all(self) -> None:
        for name, scratch in self._made:
            await scratch.dispose()
            async with self._admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def scratch(engine: AsyncEngine, database_url: str) -> AsyncIterator[ScratchDatabases]:
    databases = ScratchDatabases(engine, database_url)
    try:
        yield databases
    finally:
        await databases.drop_all()


@pytest.fixture
async def scratch_engine(scratch: ScratchDatabases) -> AsyncEngine:
    return await scratch.new()


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


# -- the migrated schema is the models' schema ---------------------------------------------
#
# Two independent comparisons, both of which must find nothing:
#
# 1. Alembic's autogenerate comparison (what `alembic revision --autogenerate` would
#    write) of a database migrated to head with the metadata: tables, columns, types,
#    nullability, server defaults, indexes (columns, DESC, expressions, uniqueness),
#    unique constraints and foreign keys. With Alembic 1.20 on PostgreSQL it has no false
#    positive on this schema (DESC and expression indexes compare correctly), so nothing
#    is filtered out; a future false positive must be excluded narrowly, by object name,
#    with the reason beside it.
# 2. What autogenerate does not look at: it never compares check constraints, primary
#    key names, partial-index predicates (postgresql_where), index methods and operator
#    classes (GIN over gin_trgm_ops), and it matches foreign keys and unnamed unique
#    constraints by their columns, so a constraint named differently goes unnoticed.
#    For those, a second scratch database is built from the models (create_all) and
#    both catalogs are compared as PostgreSQL itself prints them (pg_get_constraintdef,
#    pg_indexes.indexdef, format_type, pg_get_expr): normalised by the server, so two
#    spellings of the same definition print the same.
#
# Not compared: column order (a column added by a later migration comes last) and
# objects the models cannot declare (the audit log's append-only triggers and function,
# the pg_trgm extension); tests/audit covers the triggers.

_CONSTRAINTS = text(
    """
    SELECT r.relname, c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    JOIN pg_class r ON r.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = r.relnamespace
    WHERE n.nspname = 'public' AND r.relname <> 'alembic_version'
      -- PostgreSQL 18 lists NOT NULL as constraints too: nullability is compared per column.
      AND c.contype <> 'n'
    """
)
_INDEXES = text(
    "SELECT tablename, indexname, indexdef FROM pg_indexes "
    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
)
_COLUMNS = text(
    """
    SELECT r.relname, a.attname,
           concat_ws(' ', format_type(a.atttypid, a.atttypmod),
                     CASE WHEN a.attnotnull THEN 'NOT NULL' END,
                     'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),
                     CASE a.attidentity WHEN 'a' THEN 'GENERATED ALWAYS AS IDENTITY'
                                        WHEN 'd' THEN 'GENERATED BY DEFAULT AS IDENTITY' END)
    FROM pg_attribute a
    JOIN pg_class r ON r.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = r.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND r.relkind = 'r' AND r.relname <> 'alembic_version'
      AND a.attnum > 0 AND NOT a.attisdropped
    """
)


async def _catalog(engine: AsyncEngine) -> dict[tuple[str, str, str], str]:
    """(kind, table, name) -> definition, for every column, constraint and index."""
    found: dict[tuple[str, str, str], str] = {}
    async with engine.connect() as conn:
        for kind, query in (
            ("column", _COLUMNS),
            ("constraint", _CONSTRAINTS),
            ("index", _INDEXES),
        ):
            for table, name, definition in await conn.execute(query):
                found[(kind, table, name)] = definition
    return found


async def _autogenerate_differences(engine: AsyncEngine) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts=dict(COMPARE_OPTIONS))
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


async def _build_from_models(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        # As migration 0007 does: the trigram indexes need the extension's operator class.
        await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        await conn.run_sync(metadata.create_all)


async def schema_differences(migrated: AsyncEngine, modelled: AsyncEngine) -> list[str]:
    """Every way the migrated database differs from the models (see above); [] if none."""
    found = [f"autogenerate: {diff!r}" for diff in await _autogenerate_differences(migrated)]
    theirs, ours = await _catalog(migrated), await _catalog(modelled)
    for key in sorted(theirs.keys() | ours.keys()):
        if theirs.get(key) != ours.get(key):
            kind, table, name = key
            found.append(
                f"{kind} {table}.{name}: migrations {theirs.get(key)!r}, models {ours.get(key)!r}"
            )
    return found


async def test_the_migrated_schema_is_the_models_schema(scratch: ScratchDatabases) -> None:
    migrated, modelled = await scratch.new(), await scratch.new()
    await upgrade_to_head(migrated)
    await _build_from_models(modelled)

    assert await schema_differences(migrated, modelled) == []


#: Drifts applied to a migrated database, each with a name the comparison must report.
DRIFTS = [
    ("CREATE TABLE stray (id integer)", "stray"),
    ("ALTER TABLE audit_log ADD COLUMN extra text", "extra"),
    ("ALTER TABLE accounts ALTER COLUMN email TYPE varchar(100)", "'email'"),
    ("ALTER TABLE accounts ALTER COLUMN agency_code SET NOT NULL", "'agency_code'"),
    ("ALTER TABLE login_throttles ALTER COLUMN failures SET DEFAULT 1", "'failures'"),
    ("ALTER INDEX ix_refresh_tokens_family_id RENAME TO ix_refresh_family", "ix_refresh_family"),
    (
        "DROP INDEX ix_accounts_created_at_id; "
        "CREATE INDEX ix_accounts_created_at_id ON accounts (created_at, id)",
        "ix_accounts_created_at_id",
    ),
    (
        "DROP INDEX ix_tips_ack_late; CREATE INDEX ix_tips_ack_late ON tips "
        "(received_at DESC) WHERE acknowledged_at IS NULL",
        "ix_tips_ack_late",
    ),
    (
        "DROP INDEX ix_volunteers_full_name_en_trgm; "
        "CREATE INDEX ix_volunteers_full_name_en_trgm ON volunteers (full_name_en)",
        "ix_volunteers_full_name_en_trgm",
    ),
    ("ALTER TABLE provinces RENAME CONSTRAINT pk_provinces TO provinces_pkey", "provinces_pkey"),
    (
        "ALTER TABLE volunteers RENAME CONSTRAINT uq_volunteers_account_id "
        "TO volunteers_account_id_key",
        "volunteers_account_id_key",
    ),
    (
        "ALTER TABLE tips RENAME CONSTRAINT fk_tips_recorded_by_accounts TO tips_recorded_by_fkey",
        "tips_recorded_by_fkey",
    ),
    (
        "ALTER TABLE tips RENAME CONSTRAINT ck_tips_status_known TO status_known",
        "tips.status_known",
    ),
    ("ALTER TABLE tip_links DROP CONSTRAINT ck_tip_links_not_self", "ck_tip_links_not_self"),
]


async def test_the_comparison_reports_every_kind_of_drift(scratch: ScratchDatabases) -> None:
    migrated, modelled = await scratch.new(), await scratch.new()
    await upgrade_to_head(migrated)
    await _build_from_models(modelled)
    async with migrated.begin() as conn:
        for statements, _ in DRIFTS:
            for statement in statements.split("; "):
                await conn.execute(text(statement))

    report = "\n".join(await schema_differences(migrated, modelled))

    missed = [name for _, name in DRIFTS if name not in report]
    assert missed == [], report
