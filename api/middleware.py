"""The pure ASGI layer every request passes through (`EdgeMiddleware`): request id,
security headers, metrics, load shedding, body-size limit, compression, one JSON log
line per request."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipResponder,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import database_unavailable, describe_database_error, unavailable_response
from api.metrics import METRICS_PATH, MetricsCollector, serve_scrape
from api.overload import ConcurrencyLimit, exempt, shed_response
from api.problems import BAD_REQUEST, INTERNAL_ERROR, PAYLOAD_TOO_LARGE, problem_response

logger = logging.getLogger("duangta.request")
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{8,64}$")


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes.")


#: Pages rendered for browsers (the API docs): framed by no one.
_DOC_PAGES = ("/docs", "/redoc")


def _path_kind(path: str) -> str:
    """What answers to `path` are, as far as their security headers go."""
    if path.startswith("/api/"):
        return "api"
    return "docs" if path.startswith(_DOC_PAGES) else "other"


def security_headers(kind: str, hsts_max_age: int) -> tuple[tuple[bytes, bytes], ...]:
    """The response headers of HTTP hygiene (OWASP REST Security / Secure Headers) for an
    answer of `kind` (`_path_kind`): no content sniffing, no referrer, never framed;
    `no-store` on API responses (personal data and tip content) unless the route chose
    public caching (the provinces); HSTS when configured. A route's own value of any of
    them is kept."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (
            b"content-security-policy",
            # The docs run their own scripts and styles (served by the app, no CDN).
            b"frame-ancestors 'none'"
            if kind == "docs"
            else b"default-src 'none'; frame-ancestors 'none'",
        ),
    ]
    if kind == "api":
        headers.append((b"cache-control", b"no-store"))
    if hsts_max_age > 0:
        headers.append(
            (b"strict-transport-security", f"max-age={hsts_max_age}; includeSubDomains".encode())
        )
    return tuple(headers)


def _stamp(message: Message, request_id: bytes, defaults: tuple[tuple[bytes, bytes], ...]) -> None:
    """Put the request id and the security headers on a response's start message, in one
    pass over the headers the route set (its own X-Request-ID is replaced)."""
    headers = [
        (name, value)
        for name, value in message.get("headers", ())
        if name.lower() != b"x-request-id"
    ]
    present = {name.lower() for name, _ in headers}
    headers.append((b"x-request-id", request_id))
    headers.extend(header for header in defaults if header[0] not in present)
    message["headers"] = headers


#: Media types never compressed (Starlette's list: already compressed, or streamed).
_INCOMPRESSIBLE = frozenset(t.lower() for t in DEFAULT_EXCLUDED_CONTENT_TYPES)


def _compressible(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether gzip would have changed this response (as Starlette's responders decide):
    not already encoded, and not of an excluded media type."""
    for name, value in headers:
        name = name.lower()
        if name == b"content-encoding":
            return False
        if name == b"content-type":
            media = value.decode("latin-1").partition(";")[0].strip().lower()
            if (
                media in _INCOMPRESSIBLE
                or media.partition("/")[0] + "/*" in _INCOMPRESSIBLE
                or media.startswith("application/grpc+")
            ):
                return False
    return True


class EdgeMiddleware:
    """The one layer around the routes: everything every request passes through, in one
    call and one wrapper of `send` (issue 10: a layer per concern cost a call, a
    wrapper and a scan of the request headers each).

    In order, for an HTTP request:

    1. *Request id*: a valid `X-Request-ID` is kept, otherwise one is made; it is echoed
       on the response and put in `scope["state"]` for error bodies and logs.
    2. *Metrics scrape*: `GET /metrics` with a metrics token set is answered here
       (api/metrics.py) and not counted.
    3. *Load shedding*: a request that gets no slot in time is answered 503 with
       Retry-After (api/overload.py); probes and the scrape are never limited.
    4. *Body size*: a `Content-Length` over the limit is a 413 (not a number: a 400)
       before the route runs; a body without one is counted as it streams, and the route
       reading it gets a 413 past the limit.
    5. *Compression*: gzip for clients that ask, for bodies of 1 KB or more, through
       Starlette's GZip responder; for the other clients, an answer gzip would have
       changed is held until its first body and gets `Vary: Accept-Encoding`, as
       Starlette's responders mark it, so no cache mixes the two. Not applied to
       sign-in and token refresh: their responses carry secrets, and compressing
       secrets beside attacker-influenced bytes is what BREACH-style attacks need.
       Level 6: most of level 9's gain for a fraction of its CPU. Mobile reporters
       pay for every byte (the province list is 20 KB as JSON, about 3 KB gzipped).
    6. *CORS*, when origins are configured: Starlette's CORSMiddleware, inside this layer
       and around everything it answers itself (a shed or refused request too), so a
       browser app can read those answers.

    Inside it, the shared cache of public responses (api/public_cache.py) is a layer of
    its own: it must see a route's answer before compression and the headers added
    here, and costs a check of the request line on a miss.

    On the way out, every response gets the request id and the security headers
    (`security_headers`), the request is counted and timed for the metrics (method,
    route template, status) and logged as one JSON line: the route *template*, never
    the concrete path (which can carry ids), and no query string, headers or bodies. An
    exception that escapes the routes is logged with its traceback and the request id
    and answered with a bare 500 problem (503 with Retry-After when the database cannot
    serve).
    """

    #: Never compressed (see 5. above).
    UNCOMPRESSED_PREFIXES = ("/api/v1/auth/",)

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        metrics: MetricsCollector | None = None,
        metrics_token: str | None = None,
        concurrency: ConcurrencyLimit | None = None,
        cors: Callable[[ASGIApp], ASGIApp] | None = None,
        hsts_max_age: int = 0,
        compress_minimum_size: int = 1024,
        compress_level: int = 6,
    ) -> None:
        self.app = app
        self.inner = cors(app) if cors is not None else app
        self.cors = cors
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.metrics_token = metrics_token.encode() if metrics_token else None
        self.concurrency = concurrency
        self.compress_minimum_size = compress_minimum_size
        self.compress_level = compress_level
        #: Built once: they depend only on the kind of path and the settings.
        self.security_headers = {
            kind: security_headers(kind, hsts_max_age) for kind in ("api", "docs", "other")
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = accept_encoding = length = None
        for key, value in scope["headers"]:  # one scan; the first value of each counts
            if key == b"x-request-id":
                incoming = value if incoming is None else incoming
            elif key == b"accept-encoding":
                accept_encoding = value if accept_encoding is None else accept_encoding
            elif key == b"content-length":
                length = value if length is None else length
        # 32 random hex digits (the format of uuid4().hex, for less CPU) unless the
        # caller sent a valid one.
        raw_id = (
            incoming
            if incoming is not None and _VALID_REQUEST_ID.match(incoming)
            else os.urandom(16).hex().encode()
        )
        request_id = raw_id.decode("latin-1")
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        path: str = scope["path"]
        defaults = self.security_headers[_path_kind(path)]
        status = 500
        response_started = False
        # Compression (5.): gzip through Starlette's responder for clients that ask;
        # for the others, a response gzip would have changed is held to its first body
        # here and gets `Vary: Accept-Encoding`, as the responders add it.
        compressible_path = not path.startswith(self.UNCOMPRESSED_PREFIXES)
        gzip_wanted = (
            compressible_path and accept_encoding is not None and b"gzip" in accept_encoding
        )
        vary_check = compressible_path and not gzip_wanted
        minimum = self.compress_minimum_size
        held: Message | None = None

        async def send_out(message: Message) -> None:
            nonlocal status, response_started, held
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                _stamp(message, raw_id, defaults)
                if vary_check and status != 206:
                    held = message
                    return
            elif held is not None:
                start, held = held, None
                if (
                    kind == "http.response.body"
                    and (len(message.get("body", b"")) >= minimum or message.get("more_body"))
                    and _compressible(start["headers"])
                ):
                    MutableHeaders(scope=start).add_vary_header("Accept-Encoding")
                response_started = True
                await send(start)
            if kind == "http.response.start":
                response_started = True
            await send(message)

        counted = self.metrics is not None
        slots = None
        try:
            if (
                self.metrics_token is not None
                and path == METRICS_PATH
                and scope["method"] in ("GET", "HEAD")
            ):
                assert self.metrics is not None
                counted = False
                await serve_scrape(self.metrics, self.metrics_token, scope, receive, send_out)
                return
            limit = self.concurrency
            if limit is not None and not exempt(path):
                if not await limit.acquire():
                    await self._answer(shed_response(limit, scope), scope, receive, send_out)
                    return
                slots = limit
                limit.in_flight += 1
            if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
                await self._answer(self._refused_length(length, scope), scope, receive, send_out)
                return
            app = self.inner
            if gzip_wanted:
                app = GZipResponder(
                    app,
                    minimum,
                    compresslevel=self.compress_level,
                    exclude_content_types=DEFAULT_EXCLUDED_CONTENT_TYPES,
                )
            await app(scope, self._limited(receive), send_out)
            if held is not None:  # a start without a body: send what the route sent
                response_started = True
                await send(held)
        except Exception as exc:
            if response_started:  # too late for an answer: the server drops the connection
                self._log_exception(exc, scope, request_id)
                raise
            if database_unavailable(exc):  # e.g. from a unit of work's teardown
                response = unavailable_response(path, request_id, exc)
            else:
                self._log_exception(exc, scope, request_id)
                response = problem_response(
                    INTERNAL_ERROR,
                    detail="An unexpected error occurred. Quote the request id when reporting it.",
                    instance=path,
                    request_id=request_id,
                )
            await self._answer(response, scope, receive, send_out)
        finally:
            if slots is not None:
                slots.in_flight -= 1
                slots.slots.release()
            elapsed = time.perf_counter() - started
            if counted:
                assert self.metrics is not None
                self.metrics.observe_request(scope, status, elapsed)
            if logger.isEnabledFor(logging.INFO):  # what `info` checks: skip building the line
                logger.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        **_route(scope),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "request_id": request_id,
                    },
                )

    async def _answer(self, response: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Send an answer of this layer's own (with CORS headers when configured)."""
        app = self.cors(response) if self.cors is not None else response
        await app(scope, receive, send)

    def _refused_length(self, length: bytes, scope: Scope) -> ASGIApp:
        too_large = length.isdigit()
        return problem_response(
            PAYLOAD_TOO_LARGE if too_large else BAD_REQUEST,
            detail=(
                f"The request body is larger than the limit of {self.max_body_bytes} bytes."
                if too_large
                else "The Content-Length header is not a number."
            ),
            instance=scope["path"],
            request_id=scope["state"]["request_id"],
        )

    def _limited(self, receive: Receive) -> Receive:
        """`receive`, refusing a body that streams past the limit (one without a
        Content-Length; one with it was checked up front)."""
        limit = self.max_body_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        return limited_receive

    @staticmethod
    def _log_exception(exc: Exception, scope: Scope, request_id: str) -> None:
        if isinstance(exc, DBAPIError):  # its message quotes row values: log facts only
            logger.error(
                "unhandled database error",
                extra={"request_id": request_id, **_route(scope), **describe_database_error(exc)},
            )
        else:
            logger.exception(
                "unhandled exception", extra={"request_id": request_id, **_route(scope)}
            )


def _route(scope: Scope) -> dict[str, Any]:
    route = scope.get("route")
    template = getattr(route, "path", None)
    return {"route": template if isinstance(template, str) else None}
