"""Pure ASGI middleware: request id, one JSON log line per request, body-size limit,
compression."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import database_unavailable, describe_database_error, unavailable_response
from api.problems import BAD_REQUEST, INTERNAL_ERROR, PAYLOAD_TOO_LARGE, problem_response

logger = logging.getLogger("duangta.request")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")


class RequestContextMiddleware:
    """Accept a valid `X-Request-ID` or make one, echo it, and log the request as JSON.

    The log line holds the route *template* (never the concrete path, which can carry
    ids) and no query string, headers or bodies. An exception that escapes the app is
    logged with its traceback and the request id, and answered with a bare 500 problem.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        no_store = str(scope.get("path", "")).startswith("/api/")
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                if no_store and "cache-control" not in headers:
                    # API responses carry personal data and tip content: never cached by
                    # browsers or proxies unless a route says otherwise.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            if not response_started and database_unavailable(exc):
                # e.g. from a unit of work's teardown: a 503, logged as a warning
                status = 503
                await unavailable_response(scope.get("path", ""), request_id, exc)(
                    scope, receive, send
                )
                return
            if isinstance(exc, DBAPIError):  # its message quotes row values: log facts only
                logger.error(
                    "unhandled database error",
                    extra={
                        "request_id": request_id,
                        **_route(scope),
                        **describe_database_error(exc),
                    },
                )
            else:
                logger.exception(
                    "unhandled exception", extra={"request_id": request_id, **_route(scope)}
                )
            if response_started:
                raise
            status = 500
            response = problem_response(
                INTERNAL_ERROR,
                detail="An unexpected error occurred. Quote the request id when reporting it.",
                instance=scope.get("path", ""),
                request_id=request_id,
            )
            await response(scope, receive, send)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    **_route(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "request_id": request_id,
                },
            )


def _route(scope: Scope) -> dict[str, Any]:
    route = scope.get("route")
    template = getattr(route, "path", None)
    return {"route": template if isinstance(template, str) else None}


class BodySizeLimitMiddleware:
    """Refuse bodies over `max_bytes`: by Content-Length up front, else while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            too_large = length.isdigit()
            response = problem_response(
                PAYLOAD_TOO_LARGE if too_large else BAD_REQUEST,
                detail=(
                    f"The request body is larger than the limit of {self.max_bytes} bytes."
                    if too_large
                    else "The Content-Length header is not a number."
                ),
                instance=scope.get("path", ""),
                request_id=scope.get("state", {}).get("request_id"),
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


class CompressionMiddleware:
    """gzip for clients that ask (`Accept-Encoding: gzip`), for bodies of 1 KB or more.

    Mobile reporters pay for every byte (the province list is 20 KB as JSON, about 3 KB
    gzipped). Not applied to sign-in and token refresh: their responses carry secrets, and
    compressing secrets beside attacker-influenced bytes is what BREACH-style attacks
    need. Level 6: most of level 9's gain for a fraction of its CPU.
    """

    EXCLUDED_PREFIXES = ("/api/v1/auth/",)

    def __init__(self, app: ASGIApp, minimum_size: int = 1024, level: int = 6) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=level)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope.get("path", "")).startswith(
            self.EXCLUDED_PREFIXES
        ):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
