"""The one table from domain errors to HTTP, and the handlers that render problem+json."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.problems import problem_response
from domain import errors as e

logger = logging.getLogger("duangta.errors")


@dataclass(frozen=True, slots=True)
class ProblemKind:
    status: int
    slug: str
    title: str


#: Domain error -> HTTP. Looked up along the exception's MRO, so subclasses may override.
ERROR_TABLE: dict[type[e.DomainError], ProblemKind] = {
    e.NotFound: ProblemKind(404, "not-found", "Not found"),
    e.Conflict: ProblemKind(409, "conflict", "Conflict"),
    e.InvalidTransition: ProblemKind(409, "invalid-transition", "Invalid status transition"),
    e.PreconditionFailed: ProblemKind(412, "precondition-failed", "Precondition failed"),
    e.PreconditionRequired: ProblemKind(428, "precondition-required", "Precondition required"),
    e.InvalidInput: ProblemKind(422, "invalid-input", "Invalid input"),
    e.NotAuthenticated: ProblemKind(401, "not-authenticated", "Not authenticated"),
    e.Forbidden: ProblemKind(403, "forbidden", "Forbidden"),
    e.TooManyRequests: ProblemKind(429, "too-many-requests", "Too many requests"),
    e.ServiceUnavailable: ProblemKind(503, "service-unavailable", "Service unavailable"),
}

_HTTP_SLUGS = {
    400: "bad-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


def kind_of(exc: e.DomainError) -> ProblemKind:
    for cls in type(exc).__mro__:
        kind = ERROR_TABLE.get(cls)
        if kind is not None:
            return kind
    return ProblemKind(500, "internal-error", "Internal error")  # pragma: no cover


def request_id_of(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def domain_error_response(request: Request, exc: e.DomainError) -> Response:
    kind = kind_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, e.NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, e.TooManyRequests):
        headers["Retry-After"] = str(max(1, exc.retry_after))
    return problem_response(
        status=kind.status,
        slug=kind.slug,
        title=kind.title,
        detail=exc.detail,
        instance=request.url.path,
        request_id=request_id_of(request),
        headers=headers,
    )


def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    status = exc.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    if detail is None:
        detail = {
            404: f"No resource at '{request.url.path}'.",
            405: f"The method {request.method} is not allowed on '{request.url.path}'.",
        }.get(status, phrase)
    return problem_response(
        status=status,
        slug=_HTTP_SLUGS.get(status, f"http-{status}"),
        title=phrase,
        detail=detail,
        instance=request.url.path,
        request_id=request_id_of(request),
        headers=dict(exc.headers or {}),
    )


def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors: list[dict[str, Any]] = [
        {
            "loc": [part if isinstance(part, (str, int)) else str(part) for part in err["loc"]],
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]
    fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in errors[:5])
    return problem_response(
        status=422,
        slug="validation-error",
        title="Validation error",
        detail=f"The request is not valid: {fields}." if fields else "The request is not valid.",
        instance=request.url.path,
        request_id=request_id_of(request),
        errors=errors,
    )


def describe_database_error(exc: DBAPIError) -> dict[str, Any]:
    """Loggable facts of a database error, without its message: PostgreSQL's messages
    quote values ("Failing row contains (...)", "Key (x)=(...)"), i.e. personal data."""
    orig = exc.orig
    cause = getattr(orig, "__cause__", None)
    return {
        "error": type(cause or orig).__name__,
        "sqlstate": getattr(orig, "sqlstate", None),
        "constraint": getattr(cause, "constraint_name", None),
        "traceback": "".join(traceback.format_tb(exc.__traceback__)),
    }


#: Database errors that only a client's values (or a race between two clients) cause.
_CLIENT_DATABASE_ERRORS = {
    "22": ProblemKind(422, "invalid-input", "Invalid input"),  # data exception
    "23505": ProblemKind(409, "conflict", "Conflict"),  # unique violation (a race)
    "23514": ProblemKind(422, "invalid-input", "Invalid input"),  # check violation
    "23502": ProblemKind(422, "invalid-input", "Invalid input"),  # not-null violation
    "23503": ProblemKind(422, "invalid-input", "Invalid input"),  # foreign-key violation
}
_CLIENT_DATABASE_DETAILS = {
    409: "The request conflicts with a record that was just written: read it again and retry.",
    422: (
        "A value in the request cannot be stored or compared: it is out of range, breaks "
        "a rule of the record, or contains characters the database refuses (such as NUL)."
    ),
}


def _database_error(request: Request, exc: DBAPIError) -> Response:
    """Data exceptions and constraint violations come from the client's values: a 4xx,
    never a 500. They also mean a domain check is missing, so they are logged (without
    values) as warnings. Anything else is a server fault: the middleware answers 500."""
    sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
    kind = _CLIENT_DATABASE_ERRORS.get(sqlstate) or _CLIENT_DATABASE_ERRORS.get(sqlstate[:2])
    if kind is None:
        raise exc
    logger.warning(
        "database refused a client value",
        extra={"request_id": request_id_of(request), **describe_database_error(exc)},
    )
    return problem_response(
        status=kind.status,
        slug=kind.slug,
        title=kind.title,
        detail=_CLIENT_DATABASE_DETAILS[kind.status],
        instance=request.url.path,
        request_id=request_id_of(request),
    )


def install_error_handlers(app: FastAPI) -> None:
    async def on_domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, e.DomainError)
        return domain_error_response(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return _http_error(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _validation_error(request, exc)

    async def on_database_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DBAPIError)
        return _database_error(request, exc)

    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(e.DomainError, on_domain_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
