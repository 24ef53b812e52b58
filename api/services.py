"""Everything a request needs that does not change per request, built once in `create_app`
and handed to routes as typed dependencies (`Svc`, `SettingsDep`, `ClockDep`, ...), never
looked up by name on `app.state`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from api.caching import CachedBody
from api.client_address import ClientAddresses
from api.metrics import MetricsCollector
from api.network import SystemResolver
from api.overload import ConcurrencyLimit
from api.ratelimit import RateLimits
from api.settings import Settings
from auth.tokens import TokenConfig
from domain.accounts.model import LoginPolicy
from domain.accounts.ports import PasswordHasher
from domain.clock import Clock
from domain.webhooks.urls import AddressResolver, UrlGuard
from persistence.crypto import KeyRing
from persistence.provinces.repository import ProvinceCache

T = TypeVar("T")


@dataclass(slots=True)
class Database:
    """The engine and session factory, opened by the app's lifespan and closed after it."""

    engine: AsyncEngine | None = None
    session_factory: async_sessionmaker[AsyncSession] | None = None

    def sessions(self) -> async_sessionmaker[AsyncSession]:
        if self.session_factory is None:
            raise RuntimeError("the database is not open: the app's lifespan has not started")
        return self.session_factory

    def require_engine(self) -> AsyncEngine:
        if self.engine is None:
            raise RuntimeError("the database is not open: the app's lifespan has not started")
        return self.engine


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    keyring: KeyRing
    token_config: TokenConfig
    login_policy: LoginPolicy
    password_hasher: PasswordHasher
    rate_limits: RateLimits
    schema_head: str
    #: The client address of a request, proxies considered (api/client_address.py).
    client_addresses: ClientAddresses = field(default_factory=ClientAddresses)
    #: Load shedding (api/overload.py); None when MAX_CONCURRENT_REQUESTS is 0.
    concurrency_limit: ConcurrencyLimit | None = None
    #: Prometheus metrics of this app (api/metrics.py).
    metrics: MetricsCollector = field(default_factory=MetricsCollector)
    database: Database = field(default_factory=Database)
    #: Reference data read once per process (persistence/provinces/repository.py).
    province_cache: ProvinceCache = field(default_factory=ProvinceCache)
    #: Serialised responses of immutable reference data, with their ETags (api/caching.py).
    response_cache: dict[str, CachedBody] = field(default_factory=dict)
    #: Resolves webhook endpoint hosts for the SSRF checks (tests put a fake one here).
    resolver: AddressResolver = field(default_factory=SystemResolver)

    def url_guard(self) -> UrlGuard:
        return UrlGuard(self.settings.url_rules(), self.resolver)


def services_of(app: FastAPI) -> Services:
    """The app's services (for the lifespan, the CLI and tests)."""
    services: Services = app.state.services
    return services


#: Dependencies that are a plain function of the app's services, by their dependency
#: function: planned routes (api/planning.py) compute these values directly instead of
#: having FastAPI solve one dependency each.
SERVICE_VALUES: dict[Callable[[Request], Awaitable[Any]], Callable[[Services], Any]] = {}


def service_value(pick: Callable[[Services], T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency giving `pick(services)`, registered in SERVICE_VALUES."""

    async def dependency(request: Request) -> T:
        return pick(request.app.state.services)

    SERVICE_VALUES[dependency] = pick
    return dependency


get_services = service_value(lambda services: services)
get_settings_dep = service_value(lambda services: services.settings)
get_clock = service_value(lambda services: services.clock)
get_url_guard = service_value(lambda services: services.url_guard())


Svc = Annotated[Services, Depends(get_services)]
UrlGuardDep = Annotated[UrlGuard, Depends(get_url_guard)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ClockDep = Annotated[Clock, Depends(get_clock)]
