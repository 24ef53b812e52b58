"""OpenAPI documentation of response headers, written once.

Routes document the headers they set with `responses=with_headers(201, LOCATION, ...)`
merged into their responses. Headers every response carries (X-Request-ID), and those of
every 401 (WWW-Authenticate) and 429 (Retry-After), are added to the whole document in
api/openapi.py, not route by route.
"""

from __future__ import annotations

from typing import Any

from api.concurrency import ETAG_HEADER
from api.problems import problem_responses

Header = tuple[str, dict[str, Any]]

ETAG: Header = ("ETag", ETAG_HEADER)
LOCATION: Header = (
    "Location",
    {"description": "The URL of the record created", "schema": {"type": "string"}},
)
IDEMPOTENT_REPLAYED: Header = (
    "Idempotent-Replayed",
    {
        "description": "`true` when this is the stored answer to an earlier request with "
        "the same Idempotency-Key (nothing was created again); absent otherwise",
        "schema": {"type": "string", "enum": ["true"]},
    },
)
CONTENT_DISPOSITION: Header = (
    "Content-Disposition",
    {"description": "The file name to save the download as", "schema": {"type": "string"}},
)


def with_headers(
    status: int, *headers: Header, description: str | None = None
) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry documenting the headers of one success status."""
    response: dict[str, Any] = {"headers": dict(headers)}
    if description:
        response["description"] = description
    return {status: response}


def versioned_responses(status: int, *errors: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route whose `status` answer carries one versioned record and its
    ETag, with the problems it can answer."""
    return with_headers(status, ETAG) | problem_responses(*errors)
