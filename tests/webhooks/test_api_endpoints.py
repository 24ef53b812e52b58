"""Endpoint management: SSRF checks (422 unless allow-listed), the agency's own endpoints
only (another agency's: 404), updates with If-Match, disable, redelivery since a time."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI

from api.services import services_of
from api.settings import Settings
from domain.clock import FrozenClock
from domain.outbox.model import EventType, OutboxEvent
from domain.policy import Role
from domain.webhooks.model import MAX_ENDPOINTS_PER_AGENCY
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs, assert_problem
from tests.webhooks.conftest import MakeWorker
from tests.webhooks.helpers import ENDPOINTS, deliveries, endpoint
from tests.webhooks.receiver import Receiver


class FakeDns:
    names: ClassVar[dict[str, list[str]]] = {
        "hooks.pacc.example": ["93.184.216.34"],
        "intranet.pacc.example": ["10.20.30.40"],
        "mixed.pacc.example": ["93.184.216.34", "fd00::1"],
    }

    async def resolve(self, host: str, port: int) -> list[str]:
        return self.names.get(host, [])


@pytest.fixture
def dns(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns()
    monkeypatch.setattr(services_of(app), "resolver", fake)
    return fake


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.1.2.3/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://[::1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::]/hook",
        "https://intranet.pacc.example/hook",
        "https://mixed.pacc.example/hook",  # one address private is enough
        "https://unknown.pacc.example/hook",  # does not resolve
        "http://hooks.pacc.example/hook",  # plain http
        "ftp://hooks.pacc.example/hook",
        "https://user:pass@hooks.pacc.example/hook",
        "https:///hook",
        "https://hooks.pacc.example:99999/hook",
    ],
)
async def test_urls_that_are_not_public_https_are_refused(
    client: httpx.AsyncClient, login_as: LoginAs, dns: FakeDns, url: str
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    refused = await client.post(ENDPOINTS, json={"url": url}, headers=pacc)
    assert_problem(refused, 422, "invalid-input")


async def test_an_allow_list_admits_a_private_network_and_its_hosts(
    app: FastAPI, client: httpx.AsyncClient, login_as: LoginAs, dns: FakeDns, settings: Settings
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    assert (await endpoint(client, pacc, "https://hooks.pacc.example/hook"))["url"]
    services_of(app).settings = settings.model_copy(
        update={"webhook_allowed_hosts": "10.0.0.0/8, mixed.pacc.example"}
    )
    await endpoint(client, pacc, "https://10.1.2.3/hook")
    await endpoint(client, pacc, "https://intranet.pacc.example/hook")
    await endpoint(client, pacc, "https://mixed.pacc.example/hook")
    assert_problem(
        await client.post(ENDPOINTS, json={"url": "https://192.168.1.1/"}, headers=pacc), 422
    )
    assert_problem(
        await client.post(ENDPOINTS, json={"url": "http://10.1.2.3/"}, headers=pacc), 422
    )


async def test_partners_manage_their_own_agencys_endpoints_only(
    client: httpx.AsyncClient, login_as: LoginAs, dns: FakeDns
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    nacc = await login_as(Role.PARTNER, agency_code="NACC")
    admin = await login_as(Role.ADMIN)
    hook = await endpoint(
        client,
        pacc,
        "https://hooks.pacc.example/hook",
        event_types=["referral.created"],
        agency_code="NACC",  # ignored: a partner acts for its own agency
    )
    assert (hook["agency_code"], hook["event_types"]) == ("PACC", ["referral.created"])
    url = f"{ENDPOINTS}/{hook['id']}"

    for method, path in [
        ("GET", url),
        ("PATCH", url),
        ("POST", f"{url}/disable"),
        ("POST", f"{url}/rotate-secret"),
        ("POST", f"{url}/test"),
        ("GET", f"{url}/deliveries"),
    ]:
        answer = await client.request(
            method, path, json={} if method != "GET" else None, headers=nacc
        )
        assert_problem(answer, 404, "not-found")
    assert (await client.get(ENDPOINTS, headers=nacc)).json()["items"] == []
    assert [e["id"] for e in (await client.get(ENDPOINTS, headers=admin)).json()["items"]] == [
        hook["id"]
    ]

    # PATCH needs the ETag; a stale one is refused.
    got = await client.get(url, headers=pacc)
    assert_problem(await client.patch(url, json={"enabled": False}, headers=pacc), 428)
    changed = await client.patch(
        url,
        json={"event_types": ["referral.updated", "investigation.concluded"], "description": "x"},
        headers={**pacc, "If-Match": got.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["investigation.concluded", "referral.updated"]
    assert_problem(
        await client.patch(
            url, json={"enabled": False}, headers={**pacc, "If-Match": got.headers["etag"]}
        ),
        412,
    )
    assert_problem(
        await client.patch(
            url,
            json={"event_types": ["tip.created"]},
            headers={**pacc, "If-Match": changed.headers["etag"]},
        ),
        422,
    )
    assert_problem(
        await client.patch(
            url,
            json={"url": "https://10.0.0.1/"},
            headers={**pacc, "If-Match": changed.headers["etag"]},
        ),
        422,
    )
    disabled = await client.post(f"{url}/disable", headers=pacc)
    assert disabled.json()["enabled"] is False

    # Admins name the agency they act for.
    assert_problem(
        await client.post(ENDPOINTS, json={"url": "https://hooks.pacc.example/"}, headers=admin),
        422,
    )
    for_dsi = await endpoint(client, admin, "https://hooks.pacc.example/dsi", agency_code="dsi")
    assert for_dsi["agency_code"] == "DSI"


async def test_redelivery_since_a_time_sends_what_the_endpoint_missed(
    app: FastAPI,
    client: httpx.AsyncClient,
    login_as: LoginAs,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: MakeWorker,
) -> None:
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    hook = await endpoint(client, pacc, receiver.url)
    since = clock.now()
    worker = make_worker()
    # Disabled: the test event waits; enabled again, it goes out.
    await client.post(f"{ENDPOINTS}/{hook['id']}/disable", headers=pacc)
    await client.post(f"{ENDPOINTS}/{hook['id']}/test", headers=pacc)
    assert await worker.drain() == 0
    got = await client.get(f"{ENDPOINTS}/{hook['id']}", headers=pacc)
    enabled = await client.patch(
        f"{ENDPOINTS}/{hook['id']}",
        json={"enabled": True},
        headers={**pacc, "If-Match": got.headers["etag"]},
    )
    assert enabled.status_code == 200
    assert await worker.drain() == 1
    referred = OutboxEvent.new(
        EventType.REFERRAL_CREATED, agency_code="PACC", at=clock.now(), data={"status": "referred"}
    )
    async with SqlUnitOfWork(services_of(app).database.sessions(), clock=clock) as uow:
        await uow.outbox.add(referred)
        await uow.commit()
    assert await worker.drain() == 1

    # An endpoint registered later asks for everything since `since`: it gets the referral
    # event (not the other endpoint's test event), with the same webhook-id.
    later = await endpoint(client, pacc, receiver.url)
    clock.advance(timedelta(minutes=1))
    again = await client.post(
        f"{ENDPOINTS}/{later['id']}/redeliver", json={"since": since.isoformat()}, headers=pacc
    )
    assert again.status_code == 202, again.text
    assert again.json() == {"queued": 1}
    assert await worker.drain() == 1
    assert [r.webhook_id for r in receiver.received].count(referred.message_id) == 2
    (copy,) = await deliveries(client, pacc, later["id"])
    assert (copy["webhook_id"], copy["state"]) == (referred.message_id, "delivered")

    assert_problem(
        await client.post(
            f"{ENDPOINTS}/{later['id']}/redeliver",
            json={"since": (clock.now() + timedelta(days=1)).isoformat()},
            headers=pacc,
        ),
        422,
    )
    assert_problem(
        await client.post(
            f"{ENDPOINTS}/{hook['id']}/deliveries/{copy['id']}/redeliver", headers=pacc
        ),
        404,
    )


async def test_an_agency_registers_at_most_max_endpoints_then_repurposes_one(
    client: httpx.AsyncClient, login_as: LoginAs, dns: FakeDns
) -> None:
    """Every event fans out to each endpoint of its agency: their number is bounded."""
    pacc = await login_as(Role.PARTNER, agency_code="PACC")
    nacc = await login_as(Role.PARTNER, agency_code="NACC")
    hooks = [
        await endpoint(client, pacc, f"https://hooks.pacc.example/hook/{n}")
        for n in range(MAX_ENDPOINTS_PER_AGENCY)
    ]
    refused = await client.post(
        ENDPOINTS, json={"url": "https://hooks.pacc.example/one-more"}, headers=pacc
    )
    assert "PATCH" in assert_problem(refused, 422, "invalid-input")["detail"]
    listed = await client.get(ENDPOINTS, headers=pacc)
    assert len(listed.json()["items"]) == MAX_ENDPOINTS_PER_AGENCY
    # Another agency's bound is its own.
    await endpoint(client, nacc, "https://hooks.pacc.example/nacc")
    # A full agency repurposes an endpoint instead.
    got = await client.get(f"{ENDPOINTS}/{hooks[0]['id']}", headers=pacc)
    moved = await client.patch(
        f"{ENDPOINTS}/{hooks[0]['id']}",
        json={"url": "https://hooks.pacc.example/one-more"},
        headers={**pacc, "If-Match": got.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
