"""The application factory: the composition root."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi_offline import FastAPIOffline
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.middleware.cors import CORSMiddleware

from api.accounts import routes as accounts
from api.agencies import routes as agencies
from api.audit import routes as audit
from api.clients import routes as clients
from api.errors import install_error_handlers
from api.health import routes as health
from api.investigations import routes as investigations
from api.middleware import EdgeMiddleware
from api.openapi import finish_openapi
from api.overload import ConcurrencyLimit
from api.provinces import routes as provinces
from api.public_cache import PublicResponseCache
from api.ratelimit import RateLimits
from api.routing import add_flat
from api.services import Services
from api.sessions import routes as sessions
from api.settings import Settings, get_settings
from api.statistics import page as transparency
from api.statistics import routes as statistics
from api.tips import routes as tips
from api.volunteers import routes as volunteers
from api.webhooks import routes as webhooks
from auth.passwords import Argon2PasswordHasher
from domain.accounts.ports import PasswordHasher
from domain.clock import Clock, SystemClock
from persistence.audit.shipping import AuditShipper, open_sink, sink_id
from persistence.db import create_engine, create_session_factory
from persistence.migrate import head_revision
from persistence.uow import SqlUnitOfWork

API_VERSION = "1.0.0"
DESCRIPTION = """\
Duangta (ดวงตา, "eyes") is the national registry of the Labour Eyes anti-corruption
network: provinces, volunteers, officials, tips, investigations and a verifiable audit log.

Every error is `application/problem+json` (RFC 9457); its `type` is one of the URNs in
the `Problem` schema's `x-problem-types`. Send `X-Request-ID` to correlate your requests
with our logs; every response echoes it.

Sign in at `/api/v1/auth/token` and send `Authorization: Bearer <access token>`; partner
agencies' systems get their tokens there too, with client credentials and scopes
(`OAuth2ClientCredentials`). Public
operations (health, provinces, tip intake and follow-up, volunteer applications) need no
token; a token sent there is checked, and it identifies the caller (`x-optional-security`).
"""

#: Relative: the host that serves this document. No production host is published here;
#: partners are given theirs with their credentials.
SERVERS = [{"url": "/", "description": "The host serving this document"}]
#: To be confirmed by the owners (there is no licence file in the repository).
CONTACT = {
    "name": "Ministry of Labour, Thailand: the Labour Eyes (ดวงตาแรงงาน) programme",
    "url": "https://www.mol.go.th/",
}
LICENSE = {
    "name": "Proprietary: Ministry of Labour, Thailand",
    "identifier": "LicenseRef-Proprietary",
}

TAGS = [
    {
        "name": "auth",
        "description": "Sign in (OAuth2 password flow), API clients' tokens (client "
        "credentials), refresh-token rotation, sign out.",
    },
    {
        "name": "me",
        "description": "The caller's own account: read it, change its password.",
    },
    {
        "name": "users",
        "description": "Accounts and roles (admin; central officers may read).",
    },
    {"name": "provinces", "description": "The 77 provinces and their labour offices."},
    {
        "name": "tips",
        "description": (
            "Tips (reports of suspected corruption): anonymous or signed-in intake, "
            "follow-up by receipt, triage within the legal deadlines, messages, links."
        ),
    },
    {"name": "health", "description": "Liveness and readiness probes."},
    {
        "name": "audit",
        "description": "The tamper-evident audit log: query, verify and export (auditors).",
    },
    {
        "name": "volunteers",
        "description": "The labour volunteer registry (อาสาสมัครแรงงาน): public applications, "
        "approval, training, pledges, and each volunteer's own profile and data export.",
    },
    {
        "name": "investigations",
        "description": "Investigations opened on tips: workflow, team, internal notes, "
        "evidence log (chain of custody) and timeline; concluding closes the tips and "
        "tells their reporters.",
    },
    {
        "name": "referrals",
        "description": "Investigations referred to partner agencies: the agencies' partner "
        "accounts read their referrals and report their status back.",
    },
    {
        "name": "webhooks",
        "description": "Partner agencies' webhook endpoints: signed events (Standard "
        "Webhooks), the delivery log, redelivery, secret rotation (docs/partners.md).",
    },
    {
        "name": "agencies",
        "description": "The registry of partner agencies (NACC, PACC, DSI, RTP, OAG, ...).",
    },
    {
        "name": "clients",
        "description": "API clients of partner agencies' systems (OAuth2 client "
        "credentials): registration, secret rotation, revocation (admins).",
    },
    {
        "name": "statistics",
        "description": "Figures from summary tables kept in step with every write: internal "
        "statistics by province, the annual report (JSON or CSV), public figures with "
        "small-count suppression, the open dataset and the transparency page.",
    },
]


#: What browsers on allowed origins may send and read (CORS_ALLOW_ORIGINS).
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
]
CORS_RESPONSE_HEADERS = ["ETag", "Location", "Retry-After", "Idempotent-Replayed", "X-Request-ID"]


#: The feature routers, in routing order (the first route to match wins).
FEATURE_ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    provinces.router,
    sessions.router,
    accounts.me_router,
    sessions.me_sessions_router,
    accounts.router,
    sessions.account_sessions_router,
    audit.router,
    tips.router,
    tips.disclosures_router,
    volunteers.router,
    volunteers.me_router,
    investigations.router,
    # Before the referrals: `/referrals/changes` is not a referral id.
    webhooks.changes_router,
    investigations.referrals_router,
    webhooks.router,
    agencies.router,
    clients.router,
    statistics.router,
    statistics.public_router,
    transparency.router,
)


def _operation_id(route: APIRoute) -> str:
    # Route function names are the stable operationIds (e.g. `provinces_list`).
    return route.name


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every documented route, included routers resolved."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and context.path:
            found.append((context.path, route))
    return found


ShippingTask = tuple["asyncio.Task[None]", AuditShipper]


def _start_audit_shipping(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> ShippingTask | None:
    """With AUDIT_SINK set, a background task copies the audit trail there (persistence/
    audit/shipping.py): off the request path, so a sink that is down never fails one."""
    if not settings.audit_sink:
        return None
    shipper = AuditShipper(
        sessions,
        open_sink(settings.audit_sink),
        sink_id(settings.audit_sink),
        batch_size=settings.audit_sink_batch,
    )
    task = asyncio.create_task(
        shipper.run(interval=settings.audit_sink_interval_seconds), name="audit-shipping"
    )
    return task, shipper


async def _stop_audit_shipping(task: asyncio.Task[None], shipper: AuditShipper) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    with contextlib.suppress(Exception):
        await shipper.ship_pending()  # what the last requests wrote, if the sink is up
    await shipper.close()


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    password_hasher: PasswordHasher | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    if not settings.database_url:
        raise RuntimeError("settings.database_url is unset: start through `python -m api`")
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            database_url,
            pool_size=settings.database_pool_size,
            idle_ping_seconds=settings.database_idle_ping_seconds,
            statement_timeout_ms=settings.database_statement_timeout_ms,
            pool_timeout_seconds=settings.database_pool_timeout_seconds,
            connect_timeout_seconds=settings.database_connect_timeout_seconds,
        )
        services.database.engine = engine
        services.database.session_factory = create_session_factory(engine)
        services.metrics.watch_pool(engine, limit=2 * settings.database_pool_size)
        shipping = _start_audit_shipping(settings, services.database.session_factory)
        try:
            yield
        finally:
            if shipping is not None:
                await _stop_audit_shipping(*shipping)
            await engine.dispose()
            await services.rate_limits.close()

    app: FastAPI = FastAPIOffline(
        title="Duangta API",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        servers=SERVERS,
        contact=CONTACT,
        license_info=LICENSE,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        swagger_ui_parameters={"persistAuthorization": False},
        # FastAPI's OpenTelemetry bridge, off: the service is observed through its
        # Prometheus metrics and JSON log lines (api/metrics.py, api/logging.py). Left on
        # with no provider configured, it looked the three providers up (reading the
        # environment) on every request: a tenth of a cached answer's CPU.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    # Built once here, not on every request; routes get them as typed dependencies.
    services_clock = clock or SystemClock()
    services = Services(
        settings=settings,
        clock=services_clock,
        keyring=settings.keyring(),
        token_config=settings.token_config(),
        login_policy=settings.login_policy(),
        password_hasher=password_hasher
        or Argon2PasswordHasher(concurrency=settings.password_hash_concurrency),
        # Retry-After is computed on the app's clock (the system clock in production).
        rate_limits=RateLimits.from_settings(
            settings, timer=lambda: services_clock.now().timestamp()
        ),
        schema_head=head_revision() or "",
        client_addresses=settings.client_addresses(),
        concurrency_limit=(
            ConcurrencyLimit(settings.max_concurrent_requests, settings.request_queue_seconds)
            if settings.max_concurrent_requests
            else None
        ),
    )
    app.state.services = services
    metrics = services.metrics
    services.rate_limits.on_reject = lambda budget: metrics.rate_limited.labels(budget.value).inc()
    if services.concurrency_limit is not None:
        services.concurrency_limit.on_shed = metrics.shed.inc

    async def audit_chain_length() -> int:
        async with SqlUnitOfWork(services.database.sessions(), clock=services.clock) as uow:
            head = await uow.audit_reader.head()
        return head[0] if head else 0

    metrics.audit_chain_length = audit_chain_length

    async def outbox_backlog() -> int:
        """Webhook deliveries still pending (queued or waiting for a retry)."""
        async with SqlUnitOfWork(services.database.sessions(), clock=services.clock) as uow:
            return await uow.outbox.outbox_backlog()

    metrics.outbox_backlog = outbox_backlog

    install_error_handlers(app)
    # Inside the edge: a hit skips the routes only (api/public_cache.py).
    app.add_middleware(PublicResponseCache)
    metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    origins = settings.cors_origins()
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=settings.max_body_bytes,
        metrics=metrics,
        metrics_token=metrics_token,
        concurrency=services.concurrency_limit,
        # Bearer tokens, no cookies: no credentials mode. Preflights are answered here.
        cors=(
            partial(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST", "PATCH", "DELETE"],
                allow_headers=CORS_REQUEST_HEADERS,
                expose_headers=CORS_RESPONSE_HEADERS,
                max_age=600,
            )
            if origins
            else None
        ),
        hsts_max_age=settings.hsts_max_age,
    )

    # Flat routes, not include_router: see api/routing.py.
    for router in FEATURE_ROUTERS:
        add_flat(app, router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish_openapi(FastAPI.openapi(app), api_routes(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
