"""Helpers shared by the accounts API tests."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlmodel import col, select

from api.services import services_of
from persistence.audit.tables import AuditRow

USERS = "/api/v1/users"


async def audit_actions(app: FastAPI) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(action, entity id, details) of every audit entry, oldest first."""
    async with services_of(app).database.sessions()() as session:
        rows = (await session.exec(select(AuditRow).order_by(col(AuditRow.seq)))).all()
    return [(r.action, r.entity_id, r.details) for r in rows]
