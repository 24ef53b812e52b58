"""The yardstick: the same hot read served by bare Starlette + asyncpg (no ORM, no layers)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_CODE = re.compile(r"^(?:TH-)?(\d{2})$", re.IGNORECASE)
_QUERY = (
    "SELECT code, name_th, name_en, region, office_name, office_address, office_phone,"
    " office_email FROM provinces WHERE code = $1"
)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
    yield
    await app.state.pool.close()


async def province(request: Request) -> Response:
    match = _CODE.match(request.path_params["code"])
    row = None
    if match:
        async with request.app.state.pool.acquire() as conn:
            row = await conn.fetchrow(_QUERY, match.group(1))
    if row is None:
        return JSONResponse({"status": 404}, status_code=404)
    return JSONResponse(
        {
            "code": row["code"],
            "iso_code": f"TH-{row['code']}",
            "name_th": row["name_th"],
            "name_en": row["name_en"],
            "region": row["region"],
            "labour_office": {
                "name": row["office_name"],
                "address": row["office_address"],
                "phone": row["office_phone"],
                "email": row["office_email"],
            },
        }
    )


app = Starlette(routes=[Route("/api/v1/provinces/{code}", province)], lifespan=lifespan)
