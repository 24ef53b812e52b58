"""Pure ASGI middleware: request id, security headers, one JSON log line per request,
body-size limit, compression."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipResponder,
    IdentityResponder,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import database_unavailable, describe_database_error, unavailable_response
from api.problems import BAD_REQUEST, INTERNAL_ERROR, PAYLOAD_TOO_LARGE, problem_response

logger = logging.getLogger("duangta.request")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (`name` in lower case), as Starlette's
    `Headers.get` reads it, without building the header lists per request."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")


#: Pages rendered for browsers (the API docs): framed by no one.
_DOC_PAGES = ("/docs", "/redoc")


def add_security_headers(headers: MutableHeaders, path: str, hsts_max_age: int) -> None:
    """The response headers of HTTP hygiene (OWASP REST Security / Secure Headers), once
    for every response: no content sniffing, no referrer, never framed; `no-store` on API
    responses (personal data and tip content) unless the route chose public caching (the
    provinces); HSTS when configured. What a route set itself is kept."""
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if path.startswith(_DOC_PAGES):
        # The docs run their own scripts and styles (served by the app, no CDN).
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    else:
        headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    if path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")
    if hsts_max_age > 0:
        headers.setdefault(
            "Strict-Transport-Security", f"max-age={hsts_max_age}; includeSubDomains"
        )


class RequestContextMiddleware:
    """Accept a valid `X-Request-ID` or make one, echo it, and log the request as JSON.

    The log line holds the route *template* (never the concrete path, which can carry
    ids) and no query string, headers or bodies. An exception that escapes the app is
    logged with its traceback and the request id, and answered with a bare 500 problem.
    """

    def __init__(self, app: ASGIApp, hsts_max_age: int = 0) -> None:
        self.app = app
        self.hsts_max_age = hsts_max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id") or ""
        # 32 random hex digits, the format of uuid4().hex, for less CPU.
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        path = str(scope.get("path", ""))
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                add_security_headers(headers, path, self.hsts_max_age)
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
            if logger.isEnabledFor(logging.INFO):  # what `info` checks: skip building the line
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
        length = _header(scope, b"content-length")
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
        self.minimum_size = minimum_size
        self.level = level

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.EXCLUDED_PREFIXES):
            await self.app(scope, receive, send)
            return
        # Starlette's GZipMiddleware, minus its parse of every request header: the
        # identity responder still runs for the other clients, as it adds
        # `Vary: Accept-Encoding` to the responses it would have compressed.
        responder: ASGIApp
        if "gzip" in (_header(scope, b"accept-encoding") or ""):
            responder = GZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.level,
                exclude_content_types=DEFAULT_EXCLUDED_CONTENT_TYPES,
            )
        else:
            responder = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=DEFAULT_EXCLUDED_CONTENT_TYPES
            )
        await responder(scope, receive, send)
