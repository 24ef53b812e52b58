from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.services import services_of
from persistence.migrate import head_revision
from tests.conftest import assert_problem


async def test_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "schema_revision": None}


async def test_ready_when_schema_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["schema_revision"] == head_revision()


async def test_not_ready_when_schema_behind(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    services_of(app).schema_head = "9999"  # the code expects a migration the database lacks
    response = await client.get("/health/ready")
    assert "9999" in assert_problem(response, 503, "service-unavailable")["detail"]


async def test_not_ready_when_database_unreachable(app: FastAPI, client: httpx.AsyncClient) -> None:
    from persistence.db import create_engine

    unreachable = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_size=1)
    database = services_of(app).database
    healthy = database.engine
    database.engine = unreachable
    try:
        response = await client.get("/health/ready")
    finally:
        database.engine = healthy
        await unreachable.dispose()
    problem = assert_problem(response, 503, "service-unavailable")
    assert problem["detail"] == "The database is not reachable."


async def test_head_revision_is_applied(db: AsyncEngine) -> None:
    async with db.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    assert version == head_revision()
