"""HTTP caching of reference data that only a migration changes (provinces).

Such a response is serialised once per process and sent with a strong `ETag` and
`Cache-Control: public, max-age=...`; a client that sends the ETag back in
`If-None-Match` gets `304 Not Modified` and no body, so mobile clients on metered
networks revalidate for a few bytes. Everything else stays `no-store` (api/middleware.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

#: One hour: provinces change with a release, and a release restarts the service.
REFERENCE_MAX_AGE = 3600


@dataclass(frozen=True, slots=True)
class CachedBody:
    body: bytes
    etag: str


def cache_headers(etag: str, max_age: int) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    # Weak comparison (RFC 9110 13.1.2): W/"x" matches "x".
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


async def cached_json(
    request: Request,
    cache: dict[str, CachedBody],
    key: str,
    render: Callable[[], Awaitable[bytes]],
    *,
    max_age: int = REFERENCE_MAX_AGE,
) -> Response:
    """The JSON response for `key`, rendered on first use; 304 when the client has it."""
    cached = cache.get(key)
    if cached is None:
        body = await render()
        cached = CachedBody(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"')
        cache[key] = cached
    headers = cache_headers(cached.etag, max_age)
    if _matches(request.headers.get("if-none-match"), cached.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=cached.body, media_type="application/json", headers=headers)


#: `responses=` entry of a cached 200 (and its 304), for the OpenAPI document.
CACHED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "ETag": {
                "description": "The version of this reference data; send it back in "
                "If-None-Match to revalidate",
                "schema": {"type": "string"},
            },
            "Cache-Control": {
                "description": "`public, max-age=3600`: may be cached for an hour",
                "schema": {"type": "string"},
            },
        }
    },
    304: {"description": "Not modified: the If-None-Match ETag is current; no body"},
}
