"""A shared cache of public responses, in front of the routes (what a CDN would do).

The provinces are public reference data that only a release changes: their routes answer
with `Cache-Control: public, max-age=3600` and an ETag (api/caching.py), so any shared
cache between the app and its callers may keep such an answer and give it to the next
anonymous caller until it is `max-age` old (RFC 9111, 3 and 4.2). Mobile apps fetch them
at every start, and many networks that reach this service have no such cache: the app
keeps one itself, innermost among its middleware, so a hit skips routing and
dependency solving (most of such a request's CPU, issue 10) and still passes through
everything outside it: request id, security headers, the log line, metrics, the overload
limit, the body-size limit (outer layers) and compression.

Kept and served only what a shared cache may: a 200 to a GET without a query string,
`Authorization` header or `If-None-Match`, whose `Cache-Control` says `public` and gives
a `max-age` (and nothing that forbids storing); served only to such requests too, so a
caller who sends a token has it checked by the route as always (a bad one is a 401 even
on public data), and a revalidation gets its 304 from the route. An entry is the
response as the route sent it (status, headers, body) and the route it matched, so logs
and metrics name it as before; it lives `max-age` seconds at most, and the number of
entries is bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: At most this many responses are kept (paths are few: 77 provinces, both code forms).
MAX_ENTRIES = 512

_BYPASS = (b"authorization", b"if-none-match")


@dataclass(frozen=True, slots=True)
class _Entry:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    route: Any
    expires: float


def _max_age(headers: tuple[tuple[bytes, bytes], ...]) -> int | None:
    """`max-age` of a `Cache-Control: public, max-age=N` response, else None."""
    for name, value in headers:
        if name.lower() != b"cache-control":
            continue
        directives = {
            part.strip().partition(b"=")[0].lower(): part.strip().partition(b"=")[2]
            for part in value.split(b",")
        }
        if b"public" not in directives or directives.keys() & {
            b"no-store",
            b"no-cache",
            b"private",
        }:
            return None
        age = directives.get(b"max-age", b"")
        return int(age) if age.isdigit() and int(age) > 0 else None
    return None


class PublicResponseCache:
    def __init__(
        self,
        app: ASGIApp,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.max_entries = max_entries
        self.clock = clock
        self.entries: dict[str, _Entry] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["query_string"]
            or any(name in _BYPASS for name, _ in scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        key: str = scope["path"]
        entry = self.entries.get(key)
        if entry is not None:
            if self.clock() < entry.expires:
                scope["route"] = entry.route
                # Fresh messages: the layers outside add their headers to the list.
                await send(
                    {
                        "type": "http.response.start",
                        "status": entry.status,
                        "headers": list(entry.headers),
                    }
                )
                await send({"type": "http.response.body", "body": entry.body})
                return
            del self.entries[key]
        await self._fill(key, scope, receive, send)

    async def _fill(self, key: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve from the app, keeping the answer when a shared cache may."""
        headers: tuple[tuple[bytes, bytes], ...] | None = None
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal headers
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    # Copied before the layers outside add theirs (request id, ...).
                    headers = tuple(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)
        if headers is None:
            return
        max_age = _max_age(headers)
        if max_age is None:
            return
        now = self.clock()
        if len(self.entries) >= self.max_entries:  # make room from what has expired only
            self.entries = {k: e for k, e in self.entries.items() if e.expires > now}
        if len(self.entries) < self.max_entries:
            self.entries[key] = _Entry(
                status=200,
                headers=headers,
                body=b"".join(chunks),
                route=scope.get("route"),
                expires=now + max_age,
            )
