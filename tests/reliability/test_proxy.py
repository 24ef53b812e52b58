"""Behind a reverse proxy (api/client_address.py): the rate limits key on the address a trusted
proxy forwarded (the right-most hop that is not a trusted proxy), and on the peer
otherwise; a forged header from anyone else changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.client_address import ClientAddresses, forwarded_hops, parse_networks
from api.ratelimit import Budget
from api.settings import Settings
from domain.clock import FrozenClock
from tests.conftest import assert_problem, set_rate
from tests.tips.helpers import tip_body

PROXY = "10.1.2.3"


def _scope(peer: str, *headers: tuple[str, str]) -> dict[str, object]:
    return {
        "type": "http",
        "client": (peer, 50000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
    }


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        # the proxy appended the client's address
        (PROXY, [("X-Forwarded-For", "198.51.100.1")], "198.51.100.1"),
        # a forged left part is skipped: the right-most untrusted hop counts
        (PROXY, [("X-Forwarded-For", "1.1.1.1, 10.9.9.9, 198.51.100.1")], "198.51.100.1"),
        # two trusted proxies in a row
        (PROXY, [("X-Forwarded-For", "198.51.100.1, 10.0.0.7")], "198.51.100.1"),
        # several header lines are one list, in order
        (
            PROXY,
            [("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "198.51.100.2")],
            "198.51.100.2",
        ),
        # ports and IPv6
        (PROXY, [("X-Forwarded-For", "198.51.100.1:4711")], "198.51.100.1"),
        (PROXY, [("X-Forwarded-For", "2001:db8::7")], "2001:db8::7"),
        # the proxy itself (a probe): its own address
        (PROXY, [], PROXY),
        (PROXY, [("X-Forwarded-For", "10.0.0.7")], "10.0.0.7"),
        # a spoofed header from a peer that is not a trusted proxy: ignored
        ("198.51.100.50", [("X-Forwarded-For", "1.2.3.4")], "198.51.100.50"),
        # the other header is not read (the proxy does not write it)
        (PROXY, [("Forwarded", "for=1.2.3.4")], PROXY),
    ],
)
def test_x_forwarded_for(peer: str, headers: list[tuple[str, str]], client: str) -> None:
    trusted = ClientAddresses(parse_networks("10.0.0.0/8"))
    assert trusted.resolve(_scope(peer, *headers)) == client


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    scope = _scope(PROXY, ("X-Forwarded-For", "198.51.100.1"))
    assert ClientAddresses().resolve(scope) == PROXY
    assert ClientAddresses().resolve({"type": "http", "headers": []}) is None


def test_forwarded_rfc_7239() -> None:
    addresses = ClientAddresses(parse_networks("10.0.0.0/8, ::1"), "forwarded")
    header = 'for=1.2.3.4, for="[2001:db8:cafe::17]:4711";proto=https, For=10.0.0.9;by=10.0.0.1'
    assert forwarded_hops(header) == ["1.2.3.4", "[2001:db8:cafe::17]:4711", "10.0.0.9"]
    assert addresses.resolve(_scope("::1", ("Forwarded", header))) == "2001:db8:cafe::17"
    obfuscated = _scope(PROXY, ("Forwarded", "for=_hidden"))
    assert addresses.resolve(obfuscated) == "_hidden"
    # X-Forwarded-For is ignored when the proxies write Forwarded
    assert addresses.resolve(_scope(PROXY, ("X-Forwarded-For", "1.2.3.4"))) == PROXY


def test_bad_trusted_proxies_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(_env_file=None, trusted_proxies="10.0.0.0/8, proxy.example")
    settings = Settings(_env_file=None, trusted_proxy_header="Forwarded")
    assert settings.trusted_proxy_header == "forwarded"


Post = Callable[[str, dict[str, str]], Awaitable[httpx.Response]]


@pytest.fixture
async def behind_proxy(
    db: AsyncEngine, settings: Settings, clock: FrozenClock
) -> AsyncIterator[Post]:
    """POST a tip from a given peer address, with the given headers; one submission per
    client per hour."""
    app: FastAPI = create_app(
        settings.model_copy(update={"trusted_proxies": "10.0.0.0/8"}), clock=clock
    )
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        set_rate(app, Budget.TIP_SUBMIT, "1/hour")

        async def post(peer: str, headers: dict[str, str]) -> httpx.Response:
            transport = httpx.ASGITransport(app=app, client=(peer, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
                return await c.post("/api/v1/tips", json=tip_body(), headers=headers)

        yield post


async def test_through_a_trusted_proxy_each_reporter_has_a_budget(behind_proxy: Post) -> None:
    first = await behind_proxy(PROXY, {"X-Forwarded-For": "203.0.113.1"})
    other = await behind_proxy(PROXY, {"X-Forwarded-For": "203.0.113.2"})
    assert (first.status_code, other.status_code) == (201, 201)
    # The same reporter again, with a forged hop in front: still 203.0.113.1.
    again = await behind_proxy(PROXY, {"X-Forwarded-For": "198.51.100.77, 203.0.113.1"})
    assert_problem(again, 429, "too-many-requests")


async def test_a_spoofed_header_from_an_untrusted_peer_changes_nothing(
    behind_proxy: Post,
) -> None:
    first = await behind_proxy("198.51.100.5", {"X-Forwarded-For": "203.0.113.10"})
    assert first.status_code == 201
    forged = await behind_proxy("198.51.100.5", {"X-Forwarded-For": "203.0.113.11"})
    assert_problem(forged, 429, "too-many-requests")  # the peer's budget, spent
