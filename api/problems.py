"""RFC 9457 problem details: the body of every error response, and its OpenAPI entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.json_schema import SkipJsonSchema
from starlette.responses import JSONResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:duangta:problem:"
#: Where the registry below is written out for people (kept in step by a test).
PROBLEM_TYPES_DOC = "docs/problems.md"


@dataclass(frozen=True, slots=True)
class ProblemKind:
    """One kind of problem: the last part of its `type` URN, its status and title, and
    when the API answers with it (for the documentation)."""

    status: int
    slug: str
    title: str
    when: str = field(default="", compare=False)

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_BASE + self.slug


BAD_REQUEST = ProblemKind(
    400,
    "bad-request",
    "Bad request",
    "The request cannot be read: the Content-Length header is not a number, a JSON body "
    "is not UTF-8 or is nested too deeply to parse, or a form body cannot be parsed. "
    "(A body that is UTF-8 but not JSON is a `validation-error`.) On operations that "
    "need a token, a missing or invalid token is answered 401 first.",
)
NOT_AUTHENTICATED = ProblemKind(
    401,
    "not-authenticated",
    "Not authenticated",
    "No access token on an operation that needs one; the token is invalid, expired or no "
    "longer valid for the account (deactivated, role or province changed) or the API "
    "client (revoked); a wrong username or password at sign-in; wrong or missing client "
    "credentials; an unknown, expired or reused refresh token. "
    "Always sent with `WWW-Authenticate: Bearer`.",
)
FORBIDDEN = ProblemKind(
    403,
    "forbidden",
    "Forbidden",
    "The caller's role (or an API client's scopes) may not perform the operation at all; "
    "an account that must change "
    "its password (after an admin reset) may do nothing else first; a role may not use "
    "this channel or field.",
)
NOT_FOUND = ProblemKind(
    404,
    "not-found",
    "Not found",
    "No such record, or a record outside the caller's reach (reported as not found, never "
    "as forbidden, so that its existence is not revealed); a wrong tip receipt or "
    "activation code; an unknown path.",
)
METHOD_NOT_ALLOWED = ProblemKind(
    405, "method-not-allowed", "Method not allowed", "The path exists, but not with this method."
)
CONFLICT = ProblemKind(
    409,
    "conflict",
    "Conflict",
    "The request clashes with the stored data: a username already "
    "registered, a link that exists, a record in a state that forbids the request "
    "(e.g. a volunteer who is not active), or a write that raced another one (read the "
    "record again and retry).",
)
INVALID_TRANSITION = ProblemKind(
    409,
    "invalid-transition",
    "Invalid status transition",
    "The record's status does not allow this change (e.g. approving a volunteer who was "
    "rejected); `detail` names the current and the requested status.",
)
PRECONDITION_FAILED = ProblemKind(
    412,
    "precondition-failed",
    "Precondition failed",
    "The `If-Match` ETag is not the record's current version: read the record again.",
)
PAYLOAD_TOO_LARGE = ProblemKind(
    413,
    "payload-too-large",
    "Content too large",
    "The request body is larger than the server's limit (1 MiB unless configured "
    "otherwise), by its Content-Length or while it streams in.",
)
UNSUPPORTED_MEDIA_TYPE = ProblemKind(
    415,
    "unsupported-media-type",
    "Unsupported media type",
    "Reserved for the framework's 415; no operation answers with it today.",
)
VALIDATION_ERROR = ProblemKind(
    422,
    "validation-error",
    "Validation error",
    "The request does not match the documented schema: a missing or malformed field, "
    "parameter or header, an unknown field, a body that is not JSON, or text holding a NUL "
    "character (`nul_character`). The only kind with `errors`, one item per invalid value.",
)
INVALID_INPUT = ProblemKind(
    422,
    "invalid-input",
    "Invalid input",
    "The request matches the schema but breaks a rule: a wrong current password, an "
    "invalid cursor or Idempotency-Key, a key reused for a different request, an unknown "
    "province, inconsistent dates or filters, or a value the database refuses (out of "
    "range, a NUL character).",
)
PRECONDITION_REQUIRED = ProblemKind(
    428,
    "precondition-required",
    "Precondition required",
    "A change of a versioned record was sent without `If-Match`.",
)
TOO_MANY_REQUESTS = ProblemKind(
    429,
    "too-many-requests",
    "Too many requests",
    "A rate limit or an API client's quota was reached, or the account (or client id) is "
    "locked after repeated failed sign-ins. "
    "Always sent with `Retry-After` (seconds).",
)
INTERNAL_ERROR = ProblemKind(
    500,
    "internal-error",
    "Internal error",
    "An unexpected error; the details are logged, never sent. Quote `request_id` when "
    "reporting it.",
)
SERVICE_UNAVAILABLE = ProblemKind(
    503,
    "service-unavailable",
    "Service unavailable",
    "The database is unreachable, restarting or too slow (a lost connection, no "
    "connection within the pool or connect timeout, a statement timeout), or the process "
    "is at its limit of concurrent requests; the readiness probe also when the schema is "
    "behind the code. Always sent with `Retry-After` (seconds): retry then, with the same "
    "`Idempotency-Key`.",
)

#: Every kind of problem the API can answer with, by slug. A test fails when the code can
#: emit a slug that is missing here (tests/contract/test_problem_types.py).
PROBLEM_KINDS: dict[str, ProblemKind] = {
    kind.slug: kind
    for kind in (
        BAD_REQUEST,
        NOT_AUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        CONFLICT,
        INVALID_TRANSITION,
        PRECONDITION_FAILED,
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        VALIDATION_ERROR,
        INVALID_INPUT,
        PRECONDITION_REQUIRED,
        TOO_MANY_REQUESTS,
        INTERNAL_ERROR,
        SERVICE_UNAVAILABLE,
    )
}

#: Any other HTTP error the framework raises becomes `http-<status>` (none is expected).
HTTP_FALLBACK_SLUG = "http-{status}"


def http_fallback(status: int, title: str) -> ProblemKind:
    return ProblemKind(status, HTTP_FALLBACK_SLUG.format(status=status), title)


def problem_type_registry() -> list[JsonValue]:
    """The registry as documented in the `Problem` schema (`x-problem-types`)."""
    return [
        {"type": kind.type, "status": kind.status, "title": kind.title, "when": kind.when}
        for kind in sorted(PROBLEM_KINDS.values(), key=lambda k: (k.status, k.slug))
    ]


class FieldError(BaseModel):
    """One invalid value of a request, in a `validation-error` problem."""

    loc: list[str | int] = Field(
        description="Where the value is: `body`, `query`, `path` or `header`, then the "
        "field names and list indexes down to it",
        examples=[["body", "contact", "email"]],
    )
    msg: str = Field(description="What is wrong, for a human (English)")
    type: str = Field(
        description="A stable code for the kind of error (pydantic's error type), e.g. "
        "`missing`, `string_too_short`, `enum`, `extra_forbidden`",
        examples=["string_too_short"],
    )


class Problem(BaseModel):
    """An error, as `application/problem+json` (RFC 9457).

    `type` is one of the URNs listed in `x-problem-types` (and in docs/problems.md), each
    with its status, title and when the API answers with it. Any other HTTP error the
    framework might raise would be `urn:duangta:problem:http-<status>`; none is expected.
    """

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
                },
                {
                    "type": "urn:duangta:problem:validation-error",
                    "title": "Validation error",
                    "status": 422,
                    "detail": "The request is not valid: body.password.",
                    "instance": "/api/v1/auth/token",
                    "request_id": "5f0c2a4e9b7d4c1e8f3a6b2d9e0c1f48",
                    "errors": [
                        {
                            "loc": ["body", "password"],
                            "msg": "Field required",
                            "type": "missing",
                        }
                    ],
                },
            ],
            "x-problem-types": problem_type_registry(),
        }
    )

    type: str = Field(
        description="A URN naming the kind of problem (`urn:duangta:problem:<kind>`): "
        "stable, one of `x-problem-types`; branch on it, not on `title` or `detail`",
        examples=["urn:duangta:problem:not-found"],
    )
    title: str = Field(description="A short summary of the kind of problem (one per `type`)")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong in this occurrence, for a human")
    instance: str = Field(description="The request path this problem occurred on")
    request_id: str | None = Field(
        description="The X-Request-ID of the request (as echoed in the header), for support"
    )
    errors: list[FieldError] | SkipJsonSchema[None] = Field(
        default=None,
        description="Only in `validation-error` problems (422): one item per invalid value",
    )


def problem_response(
    kind: ProblemKind,
    *,
    detail: str,
    instance: str,
    request_id: str | None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": kind.type,
        "title": kind.title,
        "status": kind.status,
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
        body, status_code=kind.status, media_type=PROBLEM_MEDIA_TYPE, headers=all_headers
    )


_DESCRIPTIONS = {
    400: "Bad request: the body cannot be read (not UTF-8, or a broken form)",
    401: "Not authenticated: the access token is missing, invalid or expired",
    403: "The caller's role may not perform this operation",
    404: "Not found, or not visible to the caller",
    405: "Method not allowed",
    409: "Conflict with the current state",
    412: "Precondition failed: the If-Match ETag is stale",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "The request is not valid",
    428: "Precondition required: send If-Match",
    429: "Too many requests: retry after the Retry-After header",
    500: "Internal error",
    503: "Service unavailable: the database is away or the service is at capacity; retry "
    "after the Retry-After header (with the same Idempotency-Key)",
}


def describe_status(status: int) -> str:
    """The usual description of an error response of this status."""
    return _DESCRIPTIONS.get(status, "Error")


def problem_responses(
    *statuses: int, descriptions: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the given error statuses, all problem+json.

    `descriptions` replaces the usual text of a status where it means something else on
    this route (e.g. a 401 for wrong credentials rather than a bad access token). The
    problem types a status can carry are appended to every description (api/openapi.py).
    """
    texts = {status: describe_status(status) for status in statuses} | (descriptions or {})
    return {
        status: {
            "model": Problem,
            "description": texts[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
