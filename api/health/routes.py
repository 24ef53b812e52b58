"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter

from api.deps import requires
from api.problems import problem_responses
from api.schemas import ApiModel
from api.services import Svc
from domain.errors import ServiceUnavailable
from domain.policy import Action, Principal
from persistence.migrate import current_revision

router = APIRouter(prefix="/health", tags=["health"])

Public = Annotated[Principal | None, requires(Action.HEALTH_READ)]


class Health(ApiModel):
    status: Literal["ok"]
    schema_revision: str | None = None


@router.get("/live", response_model=Health)
async def health_live(_caller: Public) -> Health:
    """Liveness: the process is up and serving."""
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses=problem_responses(503))
async def health_ready(services: Svc, _caller: Public) -> Health:
    """Readiness: the database answers and its schema is at the latest migration."""
    try:
        async with asyncio.timeout(5):
            revision = await current_revision(services.database.require_engine())
    except Exception as exc:
        raise ServiceUnavailable("The database is not reachable.") from exc
    if revision != services.schema_head:
        raise ServiceUnavailable(
            f"The database schema is at revision {revision!r}, not {services.schema_head!r}."
        )
    return Health(status="ok", schema_revision=revision)
