"""The one table from domain errors to HTTP, and the handlers that render problem+json."""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api import problems as p
from api.deps import authenticate_before_body
from api.problems import ProblemKind, problem_response
from domain import errors as e

logger = logging.getLogger("duangta.errors")


#: Domain error -> HTTP. Looked up along the exception's MRO, so subclasses may override.
#: The kinds, with their titles and when they happen, are the registry in api/problems.py.
ERROR_TABLE: dict[type[e.DomainError], ProblemKind] = {
    e.NotFound: p.NOT_FOUND,
    e.Conflict: p.CONFLICT,
    e.InvalidTransition: p.INVALID_TRANSITION,
    e.PreconditionFailed: p.PRECONDITION_FAILED,
    e.PreconditionRequired: p.PRECONDITION_REQUIRED,
    e.InvalidInput: p.INVALID_INPUT,
    e.NotAuthenticated: p.NOT_AUTHENTICATED,
    e.Forbidden: p.FORBIDDEN,
    e.TooManyRequests: p.TOO_MANY_REQUESTS,
    e.ServiceUnavailable: p.SERVICE_UNAVAILABLE,
}

#: HTTP errors raised by the framework (routing, body parsing, the body-size limit).
HTTP_ERROR_TABLE: dict[int, ProblemKind] = {
    400: p.BAD_REQUEST,
    401: p.NOT_AUTHENTICATED,
    403: p.FORBIDDEN,
    404: p.NOT_FOUND,
    405: p.METHOD_NOT_ALLOWED,
    413: p.PAYLOAD_TOO_LARGE,
    415: p.UNSUPPORTED_MEDIA_TYPE,
    429: p.TOO_MANY_REQUESTS,
}


def kind_of(exc: e.DomainError) -> ProblemKind:
    for cls in type(exc).__mro__:
        kind = ERROR_TABLE.get(cls)
        if kind is not None:
            return kind
    return p.INTERNAL_ERROR  # pragma: no cover


def request_id_of(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


#: Seconds a client is told to wait (`Retry-After`) after a 503: the database is away
#: (a restart takes a few seconds) or the process is saturated.
UNAVAILABLE_RETRY_AFTER = 2


def domain_error_response(request: Request, exc: e.DomainError) -> Response:
    kind = kind_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, e.NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, e.TooManyRequests):
        headers["Retry-After"] = str(max(1, exc.retry_after))
    if isinstance(exc, e.ServiceUnavailable):
        headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return problem_response(
        kind,
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
        HTTP_ERROR_TABLE.get(status) or p.http_fallback(status, phrase),
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
        p.VALIDATION_ERROR,
        detail=f"The request is not valid: {fields}." if fields else "The request is not valid.",
        instance=request.url.path,
        request_id=request_id_of(request),
        errors=errors,
    )


def _is_unparsed_body(exc: RequestValidationError) -> bool:
    """FastAPI's 422 for a body that is not JSON, raised before any dependency ran."""
    return any(err.get("type") == "json_invalid" for err in exc.errors())


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


#: SQLSTATEs (or their class) that say the database cannot serve now, whatever the
#: request: connection exceptions, the server shutting down or starting up, too many
#: connections, and a statement cancelled by `statement_timeout`.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "57014")

#: Exceptions that mean "the database is unreachable or too slow", never "the request is
#: wrong": asyncpg's connection errors (the hot reads use the driver directly), refused or
#: dropped sockets and connect timeouts (OSError, TimeoutError is one), the pool's
#: acquire timeout, and a connection SQLAlchemy found dead. asyncpg's InternalClientError
#: ("cannot switch to state ...; another operation is in progress") is a connection left
#: mid-operation when the server went away under it: that connection cannot serve, and the
#: pool drops it when its reset fails (seen once in the restart test, after the driver
#: paths of issue 10).
_UNAVAILABLE_TYPES: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    sa_exc.InterfaceError,
)


def database_unavailable(exc: BaseException) -> bool:
    """True when the error says the database cannot serve now (answer 503 and Retry-After),
    looking through SQLAlchemy's wrapper and the driver's cause."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen or len(seen) > 8:
            continue
        seen.add(id(current))
        if isinstance(current, _UNAVAILABLE_TYPES):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        orig = getattr(current, "orig", None)
        stack.extend([orig if isinstance(orig, BaseException) else None, current.__cause__])
    return False


def unavailable_response(scope_path: str, request_id: str | None, exc: BaseException) -> Response:
    """503 `service-unavailable` with Retry-After; the error is logged by type only."""
    logger.warning(
        "database unavailable",
        extra={"request_id": request_id, "error": type(exc).__name__},
    )
    return problem_response(
        p.SERVICE_UNAVAILABLE,
        detail="The service cannot reach its database right now. Retry after the number "
        "of seconds in the Retry-After header (with the same Idempotency-Key).",
        instance=scope_path,
        request_id=request_id,
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
    )


#: Database errors that only a client's values (or a race between two clients) cause.
_CLIENT_DATABASE_ERRORS = {
    "22": p.INVALID_INPUT,  # data exception
    "23505": p.CONFLICT,  # unique violation (a race)
    "23514": p.INVALID_INPUT,  # check violation
    "23502": p.INVALID_INPUT,  # not-null violation
    "23503": p.INVALID_INPUT,  # foreign-key violation
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
    values) as warnings. Lost connections and timeouts are a 503 with Retry-After.
    Anything else is a server fault: the middleware answers 500."""
    if database_unavailable(exc):
        return unavailable_response(request.url.path, request_id_of(request), exc)
    sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
    kind = _CLIENT_DATABASE_ERRORS.get(sqlstate) or _CLIENT_DATABASE_ERRORS.get(sqlstate[:2])
    if kind is None:
        raise exc
    logger.warning(
        "database refused a client value",
        extra={"request_id": request_id_of(request), **describe_database_error(exc)},
    )
    return problem_response(
        kind,
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
        if exc.status_code == 400 and "route" in request.scope:
            # A routed 400 is FastAPI's "error parsing the body" (not UTF-8, not a form).
            try:
                await authenticate_before_body(request)
            except e.DomainError as refused:
                return domain_error_response(request, refused)
        return _http_error(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if _is_unparsed_body(exc):
            try:
                await authenticate_before_body(request)
            except e.DomainError as refused:
                return domain_error_response(request, refused)
        return _validation_error(request, exc)

    async def on_database_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DBAPIError)
        return _database_error(request, exc)

    async def on_unavailable(request: Request, exc: Exception) -> Response:
        if not database_unavailable(exc):
            raise exc
        return unavailable_response(request.url.path, request_id_of(request), exc)

    app.add_exception_handler(DBAPIError, on_database_error)
    for unavailable in (*_UNAVAILABLE_TYPES, asyncpg.PostgresError):
        app.add_exception_handler(unavailable, on_unavailable)
    app.add_exception_handler(e.DomainError, on_domain_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
