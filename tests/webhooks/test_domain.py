"""The rules without a database: signatures (checked with the public library), SSRF
address classes, backoff and breaker, secret overlap, the feed's cursor."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from domain.errors import InvalidInput
from domain.outbox.model import SUBSCRIBABLE, EventType
from domain.pagination import CommitCursor, InvalidCursor
from domain.webhooks import signing
from domain.webhooks.errors import UnsafeUrl
from domain.webhooks.model import Breaker, Endpoint, RetryPolicy, event_types
from domain.webhooks.urls import UrlRules, parse_url, refusal

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_our_signatures_verify_with_the_standard_webhooks_library() -> None:
    secret = signing.new_secret()
    other = signing.new_secret()
    body = '{"type":"webhook.test","data":{"x":"ทดสอบ"}}'.encode()
    now = int(datetime.now(UTC).timestamp())
    headers = signing.headers([secret, other], "msg_1", now, body)
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    assert Webhook(other).verify(body, headers)["data"] == {"x": "ทดสอบ"}
    assert headers["webhook-signature"].count("v1,") == 2


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "not public"),  # CGNAT
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("224.0.0.251", "multicast"),
        ("255.255.255.255", "private"),
        ("192.0.2.1", "private"),  # documentation
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fd00::1", "private"),  # unique local
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_only_public_addresses_pass(address: str, why: str | None) -> None:
    assert refusal(ipaddress.ip_address(address)) == why


def test_the_allow_list_takes_names_addresses_and_networks() -> None:
    rules = UrlRules.parse(allow_http=False, allowed=" 10.0.0.0/8, Hooks.Example. ,::1 ,")
    assert rules.allowed_hosts == {"hooks.example"}
    assert rules.allows_address(ipaddress.ip_address("10.9.8.7"))
    assert rules.allows_address(ipaddress.ip_address("::1"))
    assert not rules.allows_address(ipaddress.ip_address("192.168.1.1"))
    assert parse_url("https://Hooks.Example./x", rules) == ("https", "hooks.example", 443)
    with pytest.raises(UnsafeUrl):
        parse_url("http://hooks.example/x", rules)
    assert parse_url("http://h.example:8080/", UrlRules(allow_http=True)) == (
        "http",
        "h.example",
        8080,
    )


def test_backoff_doubles_with_jitter_for_three_days_then_gives_up() -> None:
    policy = RetryPolicy()
    at, failures, delays = NOW, 0, []
    while True:
        failures += 1
        nxt = policy.next_attempt(failures=failures, now=at, queued_at=NOW, jitter=0.999)
        if nxt is None:
            break
        delays.append(nxt - at)
        at = nxt
    assert delays[0] == pytest.approx(timedelta(seconds=5), abs=timedelta(milliseconds=10))
    assert delays[1] == pytest.approx(timedelta(seconds=10), abs=timedelta(milliseconds=10))
    assert max(delays) <= timedelta(hours=6)
    assert timedelta(hours=66) < at - NOW < timedelta(hours=72)
    assert 15 <= failures <= 25
    low = policy.next_attempt(failures=3, now=NOW, queued_at=NOW, jitter=0.0)
    assert low == NOW + timedelta(seconds=10)  # half the 20 s ceiling


def test_the_breaker_opens_at_the_threshold() -> None:
    breaker = Breaker(failures=3, pause=timedelta(minutes=30))
    assert breaker.paused_until(2, NOW) is None
    assert breaker.paused_until(3, NOW) == NOW + timedelta(minutes=30)


def test_a_rotated_secret_signs_until_its_overlap_ends() -> None:
    hook = Endpoint.new(
        agency_code="PACC",
        url="https://h.example/",
        description=" ",
        types=frozenset(SUBSCRIBABLE),
        enabled=True,
        created_by=uuid.uuid4(),
        at=NOW,
    )
    assert hook.description is None
    old = hook.secret
    new = hook.rotate_secret(at=NOW, overlap=timedelta(hours=1))
    assert hook.signing_secrets(NOW) == [new, old]
    assert hook.signing_secrets(NOW + timedelta(hours=1)) == [new]
    assert hook.version == 2


def test_event_types_are_checked() -> None:
    assert event_types(None) == frozenset(SUBSCRIBABLE)
    assert event_types(["referral.created"]) == {EventType.REFERRAL_CREATED}
    for wrong in (["webhook.test"], ["tip.created"]):
        with pytest.raises(InvalidInput):
            event_types(wrong)


def test_the_commit_cursor_round_trips_and_refuses_garbage() -> None:
    cursor = CommitCursor(xid=123456789, seq=42)
    assert CommitCursor.decode(cursor.encode()) == cursor
    for text in ("garbage", CommitCursor(xid=1, seq=1).encode()[:-2], "WyJzIiwxXQ"):
        with pytest.raises(InvalidCursor):
            CommitCursor.decode(text)
