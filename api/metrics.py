"""Prometheus metrics: `GET /metrics`, for operators, behind a bearer token.

Recorded by the one ASGI layer around the routes (`EdgeMiddleware`, api/middleware.py):
per request one counter and one histogram observation, on label children cached by their
labels. Labels are the method (known methods only), the route *template*
(`/api/v1/tips/{tip_id}`, never the concrete path; `<unmatched>` for paths no route
serves) and the status: no ids, addresses, tokens or personal data, and a bounded number
of series. The status is the one the client got, the edge's own 500 or 503 for an
exception included.

| metric | type | labels |
|---|---|---|
| `duangta_http_requests_total` | counter | method, route, status |
| `duangta_http_request_duration_seconds` | histogram | method, route |
| `duangta_requests_shed_total` | counter | (load shedding, api/overload.py) |
| `duangta_rate_limit_rejections_total` | counter | budget |
| `duangta_db_pool_connections_in_use` | gauge | (checked out of this process's pool) |
| `duangta_db_pool_connections_limit` | gauge | (pool size + overflow) |
| `duangta_audit_chain_length` | gauge | (the newest audit seq, read at scrape time) |
| `duangta_outbox_backlog` | gauge | (pending webhook deliveries, read at scrape time) |

`METRICS_TOKEN` unset: `/metrics` is not served (404 like any unknown path). Set: it
answers to `Authorization: Bearer <METRICS_TOKEN>` only (401 otherwise).

Several worker processes (`python -m api --workers N`): the parent points
`PROMETHEUS_MULTIPROC_DIR` at a fresh directory before the workers start; every worker
then writes its values there and a scrape, whichever worker answers it, sums them all
(prometheus_client's multiprocess mode; gauges are summed over live workers).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from api.problems import NOT_AUTHENTICATED, problem_response

METRICS_PATH = "/metrics"
UNMATCHED = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Seconds: from a cached read (~1 ms) to a slow export.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class MetricsCollector:
    """The metrics of one app (one registry per app, so tests can build many)."""

    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` twins
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "duangta_http_requests",
            "HTTP requests answered, by method, route template and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.duration = Histogram(
            "duangta_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response",
            ("method", "route"),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.shed = Counter(
            "duangta_requests_shed",
            "Requests answered 503 at once because the process was at its concurrency limit",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "duangta_rate_limit_rejections",
            "Requests refused with 429 by a rate-limit budget",
            ("budget",),
            registry=self.registry,
        )
        self.pool_in_use = Gauge(
            "duangta_db_pool_connections_in_use",
            "Database connections checked out of the pool",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.pool_limit = Gauge(
            "duangta_db_pool_connections_limit",
            "Most connections the pool opens (pool size + overflow)",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        #: The newest audit seq, read from the database at scrape time (set by the app).
        self.audit_chain_length: Callable[[], Awaitable[int]] | None = None
        #: The number of webhook deliveries still pending (set by the app); reported as
        #: `duangta_outbox_backlog` when set.
        self.outbox_backlog: Callable[[], Awaitable[int]] | None = None
        self._request_children: dict[tuple[str, str, int], Any] = {}
        self._duration_children: dict[tuple[str, str], Any] = {}

    def observe_request(self, scope: Scope, status: int, seconds: float) -> None:
        """One answered request: its method, its route template (set on the scope by the
        router, or by the public cache) and its status."""
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        template = getattr(scope.get("route"), "path", None)
        route = template if isinstance(template, str) else UNMATCHED
        key = (method, route, status)
        counter = self._request_children.get(key)
        if counter is None:
            counter = self._request_children[key] = self.requests.labels(method, route, str(status))
        counter.inc()
        histogram = self._duration_children.get(key[:2])
        if histogram is None:
            histogram = self._duration_children[key[:2]] = self.duration.labels(method, route)
        histogram.observe(seconds)

    def watch_pool(self, engine: AsyncEngine, limit: int) -> None:
        """Follow the engine's pool: +1 at checkout, -1 at checkin (no per-request cost)."""
        self.pool_limit.set(limit)
        in_use = self.pool_in_use

        def checked_out(*_: Any) -> None:
            in_use.inc()

        def checked_in(*_: Any) -> None:
            in_use.dec()

        event.listen(engine.sync_engine, "checkout", checked_out)
        event.listen(engine.sync_engine, "checkin", checked_in)

    async def exposition(self) -> bytes:
        """The text a scrape gets: recorded metrics, then values read now."""
        if multiprocess_dir():
            merged = CollectorRegistry()
            MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            recorded = generate_latest(merged)
        else:
            recorded = generate_latest(self.registry)
        now = CollectorRegistry(auto_describe=True)
        families = []
        if self.audit_chain_length is not None:
            family = GaugeMetricFamily(
                "duangta_audit_chain_length", "Entries in the audit chain (the newest seq)"
            )
            family.add_metric([], await self.audit_chain_length())
            families.append(family)
        if self.outbox_backlog is not None:
            family = GaugeMetricFamily(
                "duangta_outbox_backlog", "Outbox messages waiting for delivery"
            )
            family.add_metric([], await self.outbox_backlog())
            families.append(family)
        if families:
            now.register(_Fixed(families))
        return recorded + generate_latest(now)


class _Fixed:
    """A collector that yields metric families computed before the scrape."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


async def serve_scrape(
    collector: MetricsCollector, token: bytes, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer `GET /metrics`: the exposition to a caller holding the metrics token, else a
    401 problem (api/middleware.py routes the path here when a token is set)."""
    given = Headers(scope=scope).get("authorization", "")
    scheme, _, credential = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), token):
        response = problem_response(
            NOT_AUTHENTICATED,
            detail="Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.",
            instance=scope["path"],
            request_id=scope.get("state", {}).get("request_id"),
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)
        return
    body = await collector.exposition()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", CONTENT_TYPE_LATEST.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
