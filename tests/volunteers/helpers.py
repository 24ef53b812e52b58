"""Helpers shared by the volunteer registry's API tests."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.services import services_of
from domain.clock import FrozenClock
from domain.volunteers.identity import national_id_check_digit
from persistence.uow import SqlUnitOfWork

_serial = itertools.count(1)


def national_id(serial: int | None = None) -> str:
    """A valid (check digit) national ID, different on every call."""
    first12 = f"3{serial if serial is not None else next(_serial) + 40_000:011d}"
    return first12 + str(national_id_check_digit(first12))


def application(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "full_name_th": "นายสมชาย ใจดี",
        "full_name_en": "Somchai Jaidee",
        "national_id": national_id(),
        "date_of_birth": "1985-04-12",
        "phone": "081-234-5678",
        "email": "somchai@example.org",
        "province_code": "40",
        "district": "เมืองขอนแก่น",
        "occupation": "ลูกจ้างโรงงาน",
    }
    body.update(overrides)
    return body


async def apply(client: httpx.AsyncClient, **overrides: Any) -> str:
    response = await client.post("/api/v1/volunteers/applications", json=application(**overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def approve(client: httpx.AsyncClient, volunteer_id: str, headers: dict[str, str]) -> str:
    """Approve and return the activation code."""
    response = await client.post(
        f"/api/v1/volunteers/{volunteer_id}/approve",
        json={"reason": "เอกสารครบ"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["activation_code"])


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Log in through the real endpoint (OAuth2 password flow) and return the headers."""
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def account_state(app: FastAPI, clock: FrozenClock, account_id: str) -> tuple[bool, str]:
    async with SqlUnitOfWork(services_of(app).database.sessions(), clock=clock) as uow:
        account = await uow.accounts.get(uuid.UUID(account_id))
    assert account is not None
    return account.is_active, account.username


async def raw_database_text(engine: AsyncEngine) -> str:
    """Every row of every table, as PostgreSQL renders it (bytea as hex)."""
    chunks: list[str] = []
    async with engine.connect() as conn:
        tables = (
            await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        ).scalars()
        for table in list(tables):
            rows = (await conn.execute(text(f'SELECT t::text FROM "{table}" t'))).scalars()
            chunks.extend(f"{table}: {row}" for row in rows)
    return "\n".join(chunks)


def assert_absent(haystack: str, secret: str) -> None:
    """Neither the plain text nor its bytes in hex (as a bytea would show) appear."""
    assert secret not in haystack
    assert secret.encode().hex() not in haystack


async def audit_entries(engine: AsyncEngine, *entity_ids: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT seq, actor_id, actor_role, action, entity_type, entity_id, "
                    "province_code, details FROM audit_log WHERE entity_id = ANY(:ids) "
                    "ORDER BY seq"
                ),
                {"ids": list(entity_ids)},
            )
        ).mappings()
        return [dict(row) for row in rows]
