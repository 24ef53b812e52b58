"""Which endpoint URLs may be called: the SSRF rules, checked when an endpoint is saved
and again before every delivery (a name may resolve elsewhere by then: DNS rebinding).

Only `https` (plain `http` when a setting allows it, for tests and closed networks), no
credentials in the URL, and every address the host resolves to must be public: loopback,
private (RFC 1918), link-local, CGNAT (100.64/10), multicast, unspecified, reserved,
documentation ranges, IPv6 unique-local and site-local addresses are refused, also when
written as IPv4-mapped IPv6. An allow-list (host names, addresses or CIDRs) lets an
operator permit a partner on a closed network, and the tests their loopback receiver.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from domain.webhooks.errors import UnsafeUrl

URL_MAX = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressResolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address the host resolves to (empty when it does not resolve)."""
        ...


@dataclass(frozen=True, slots=True)
class UrlRules:
    allow_http: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, *, allow_http: bool, allowed: str) -> UrlRules:
        """`allowed`: comma-separated host names, addresses or CIDRs (`10.0.0.0/8`)."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in allowed.split(","):
            item = raw.strip().lower()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.rstrip("."))
        return cls(allow_http, frozenset(hosts), tuple(networks))

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed_networks)


@dataclass(frozen=True, slots=True)
class Target:
    """A URL that passed the rules: where to connect (the addresses just checked)."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def refusal(address: IPAddress) -> str | None:
    """Why an address is not public (None: it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped)
    checks = [
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("not public", not address.is_global),
    ]
    return next((name for name, hit in checks if hit), None)


def parse_url(url: str, rules: UrlRules) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL of an allowed form; UnsafeUrl otherwise."""
    text = url.strip()
    if not text or len(text) > URL_MAX:
        raise UnsafeUrl(f"The URL must have 1 to {URL_MAX} characters.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("The URL is not valid.") from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and rules.allow_http):
        raise UnsafeUrl("Endpoint URLs must use https.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Endpoint URLs may not carry credentials; use the signing secret.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeUrl("The URL has no host.")
    return scheme, host, port or (443 if scheme == "https" else 80)


async def check_url(url: str, rules: UrlRules, resolver: AddressResolver) -> Target:
    """The URL and the addresses to connect to, if every one of them may be called."""
    scheme, host, port = parse_url(url, rules)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    names = [str(literal)] if literal is not None else await resolver.resolve(host, port)
    if not names:
        raise UnsafeUrl(f"The host '{host[:100]}' does not resolve.")
    host_allowed = host in rules.allowed_hosts
    for name in names:
        address = ipaddress.ip_address(name.split("%", 1)[0])
        why = refusal(address)
        if why is not None and not host_allowed and not rules.allows_address(address):
            raise UnsafeUrl(
                f"The host '{host[:100]}' resolves to a {why} address ({address}); only "
                "public addresses may be called unless the operator allow-lists them."
            )
    return Target(url.strip(), scheme, host, port, tuple(names))


@dataclass(frozen=True, slots=True)
class UrlGuard:
    """The rules and the resolver, built once at start-up (API and worker alike)."""

    rules: UrlRules
    resolver: AddressResolver

    async def check(self, url: str) -> Target:
        return await check_url(url, self.rules, self.resolver)
