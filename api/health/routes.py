"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter

from api.deps import requires
from api.health.schemas import Health
from api.planning import PlannedRoute
from api.problems import problem_responses
from api.services import Svc
from domain.errors import ServiceUnavailable
from domain.policy import Action, Principal
from persistence.migrate import current_revision

router = APIRouter(prefix="/health", tags=["health"], route_class=PlannedRoute)

Public = Annotated[Principal | None, requires(Action.HEALTH_READ)]


@router.get("/live", response_model=Health)
async def health_live(_caller: Public) -> Health:
    """Liveness: the process is up and serving.

    Public, for orchestrators and load balancers. It touches no database, so a failing
    database does not get a healthy process restarted; use `/health/ready` for that.
    """
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses=problem_responses(503))
async def health_ready(services: Svc, _caller: Public) -> Health:
    """Readiness: the database answers and its schema is at the latest migration.

    Public, for orchestrators and load balancers. A 503 problem says why the process
    should get no traffic yet: the database does not answer within 5 seconds, or its
    schema is at another revision than this code expects.
    """
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
