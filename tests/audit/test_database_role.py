"""The documented database role (docs/audit.md) can append to the audit log, never change it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.audit.model import SYSTEM, AuditAction
from domain.clock import FrozenClock
from persistence.uow import SqlUnitOfWork

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def documented_grants(role: str) -> list[str]:
    document = DOCS.read_text(encoding="utf-8")
    block = document[
        document.index("<!-- grants:start -->") : document.index("<!-- grants:end -->")
    ]
    sql = block.split("```sql\n", 1)[1].split("```", 1)[0]
    return [s.strip() for s in sql.replace("duangta_app", role).split(";") if s.strip()]


async def test_the_service_role_cannot_update_delete_or_truncate(
    db: AsyncEngine, clock: FrozenClock
) -> None:
    role = f"duangta_app_test_{uuid.uuid4().hex[:8]}"
    async with db.begin() as conn:
        await conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        await conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        for statement in documented_grants(role):
            await conn.execute(text(statement))
    try:
        async with db.connect() as conn:
            await conn.execute(text(f"SET ROLE {role}"))
            await conn.commit()
            await append_as_service(conn, clock)
            for statement in (
                "UPDATE audit_log SET action = 'x'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
            ):
                with pytest.raises(DBAPIError, match="permission denied for table audit_log"):
                    await conn.execute(text(statement))
                await conn.rollback()
            with pytest.raises(DBAPIError, match="must be owner"):
                await conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            await conn.rollback()
            await conn.execute(text("RESET ROLE"))
            await conn.commit()
    finally:
        async with db.begin() as conn:
            await conn.execute(text(f"DROP OWNED BY {role}"))
            await conn.execute(text(f"DROP ROLE {role}"))


async def append_as_service(conn: AsyncConnection, clock: FrozenClock) -> None:
    factory = async_sessionmaker(bind=conn, class_=AsyncSession, expire_on_commit=False)
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        await uow.audit.record(SYSTEM, AuditAction.USER_UPDATED)
        await uow.commit()
    async with SqlUnitOfWork(factory, clock=clock) as uow:
        assert await uow.audit_reader.head() is not None
        await uow.rollback()
