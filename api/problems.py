"""RFC 9457 problem details: the body of every error response, and its OpenAPI entries."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:duangta:problem:"


class FieldError(BaseModel):
    """One invalid field of a request."""

    loc: list[str | int] = Field(description="Where the field is: body, query, path, header")
    msg: str
    type: str


class Problem(BaseModel):
    """An error, as `application/problem+json` (RFC 9457)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:duangta:problem:not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "No province has the code '99'.",
                    "instance": "/api/v1/provinces/99",
                    "request_id": "5f0c2a4e9b7d4c1e8f3a6b2d9e0c1f47",
                }
            ]
        }
    )

    type: str = Field(description="A URI (URN) naming the kind of problem; stable, documented")
    title: str = Field(description="A short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong in this occurrence, for a human")
    instance: str = Field(description="The request path this problem occurred on")
    request_id: str | None = Field(
        default=None, description="The X-Request-ID of the request, for support"
    )
    errors: list[FieldError] | None = Field(
        default=None, description="Field errors (422 validation problems only)"
    )


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str,
    request_id: str | None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = errors
    all_headers = dict(headers or {})
    if request_id:
        all_headers["X-Request-ID"] = request_id
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=all_headers
    )


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated: the access token is missing, invalid or expired",
    403: "The caller's role may not perform this operation",
    404: "Not found, or not visible to the caller",
    405: "Method not allowed",
    409: "Conflict with the current state",
    412: "Precondition failed: the If-Match ETag is stale",
    413: "Request body too large",
    422: "The request is not valid",
    428: "Precondition required: send If-Match",
    429: "Too many requests: retry after the Retry-After header",
    500: "Internal error",
    503: "Service unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the given error statuses, all problem+json."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
