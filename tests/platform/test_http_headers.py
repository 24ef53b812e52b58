"""HTTP hygiene: the headers every response carries (api/middleware.py
`security_headers`), CORS from settings, and no server banner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn

import api.__main__ as main
from api.app import create_app
from api.settings import Settings
from domain.policy import Role
from tests.conftest import LoginAs

#: A problem, personal data, a public tip answer, reference data, the docs, a probe.
PATHS = ["/api/v1/nowhere", "/api/v1/provinces/40", "/docs", "/redoc", "/health/live"]


async def _app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)  # no lifespan: these requests need no database
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def cors_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(
        update={"cors_allow_origins": "https://app.example.go.th, https://m.example.go.th"}
    )
    async for c in _app_client(configured):
        yield c


@pytest.fixture
async def hsts_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _app_client(settings.model_copy(update={"hsts_max_age": 31_536_000})):
        yield c


@pytest.mark.parametrize("path", PATHS)
async def test_no_content_sniffing(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", PATHS)
async def test_no_referrer(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_are_never_framed(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"


async def test_api_answers_allow_no_content_and_no_framing(client: httpx.AsyncClient) -> None:
    csp = (await client.get("/api/v1/provinces")).headers["content-security-policy"]
    assert csp == "default-src 'none'; frame-ancestors 'none'"


async def test_personal_and_tip_data_is_never_stored(
    client: httpx.AsyncClient, login_as: LoginAs
) -> None:
    officer = await login_as(Role.CENTRAL_OFFICER)
    for response in (
        await client.get("/api/v1/me", headers=officer),
        await client.get("/api/v1/tips", headers=officer),
        await client.post("/api/v1/tips/follow-up", json={"receipt": "0" * 20}),
        await client.get("/api/v1/users/not-a-uuid", headers=officer),
    ):
        assert response.headers["cache-control"] == "no-store", response.request.url
    # Public reference data keeps its public caching.
    province = await client.get("/api/v1/provinces/40")
    assert province.headers["cache-control"] == "public, max-age=3600"


async def test_hsts_only_when_configured(
    client: httpx.AsyncClient, hsts_client: httpx.AsyncClient
) -> None:
    assert "strict-transport-security" not in (await client.get("/api/v1/nowhere")).headers
    response = await hsts_client.get("/api/v1/nowhere")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_no_cross_origin_access_by_default(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://evil.example"}
    assert (
        "access-control-allow-origin"
        not in (await client.get("/api/v1/provinces/40", headers=origin)).headers
    )
    preflight = await client.options(
        "/api/v1/tips",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_allows_only_the_configured_origins(cors_client: httpx.AsyncClient) -> None:
    allowed = {"Origin": "https://m.example.go.th"}
    response = await cors_client.get("/api/v1/nowhere", headers=allowed)
    assert response.headers["access-control-allow-origin"] == "https://m.example.go.th"
    assert "access-control-allow-credentials" not in response.headers
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    preflight = await cors_client.options(
        "/api/v1/tips",
        headers={
            **allowed,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://m.example.go.th"
    other = await cors_client.get("/api/v1/nowhere", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_settings_read_the_cors_list() -> None:
    assert Settings(_env_file=None).cors_origins() == []
    settings = Settings(_env_file=None, cors_allow_origins=" https://a.example ,https://b.example,")
    assert settings.cors_origins() == ["https://a.example", "https://b.example"]


def test_the_server_sends_no_banner(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    seen: dict[str, Any] = {}

    async def prepared(_: Settings) -> None:
        return None

    def get_settings() -> Settings:
        return settings

    get_settings.cache_clear = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setenv("DATABASE_URL", str(settings.database_url))  # restored afterwards
    monkeypatch.setattr(main, "get_settings", get_settings)
    monkeypatch.setattr(main, "configure_logging", lambda level: None)
    monkeypatch.setattr(main, "prepare_database", prepared)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    main.main(["--workers", "1"])
    assert seen["server_header"] is False
    assert seen["proxy_headers"] is False
