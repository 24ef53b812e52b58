"""Who the client is, by address, when the API runs behind reverse proxies.

The address keys the rate limits (api/ratelimit.py). By default it is the TCP peer. When
`TRUSTED_PROXIES` lists the proxies in front of the API (IPs or CIDRs), a request whose
peer is one of them is attributed to the address its forwarding header names: the
right-most hop that is not itself a trusted proxy. Every proxy appends the address it
received the request from, so that hop was written by a proxy we trust; anything to its
left was written by the client and may be forged. A header from a peer that is not a
trusted proxy is ignored entirely.

One header is read, the one the proxies are configured to write (`TRUSTED_PROXY_HEADER`:
`X-Forwarded-For`, or `Forwarded` of RFC 7239). Reading both would let a client put a
forged `Forwarded` past a proxy that only appends `X-Forwarded-For`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Literal

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
ProxyHeader = Literal["x-forwarded-for", "forwarded"]

_FOR_PARAM = re.compile(r'(?:^|;)\s*for\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)', re.IGNORECASE)


def parse_networks(text: str) -> tuple[Network, ...]:
    """'10.0.0.0/8, 192.0.2.7, ::1' -> networks; raises ValueError on a bad entry."""
    networks = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {item!r}") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    """An address from a header hop: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:80`,
    `2001:db8::1`; None for `unknown`, obfuscated identifiers and garbage."""
    value = text.strip().strip('"')
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:  # IPv4 with a port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def forwarded_hops(header: str) -> list[str]:
    """The `for=` values of a `Forwarded` header (RFC 7239), left to right."""
    hops = []
    for element in header.split(","):
        match = _FOR_PARAM.search(element)
        hops.append(match.group(1).strip('"') if match else "")
    return hops


class ClientAddresses:
    """Resolves the client address of a request (built once from the settings)."""

    def __init__(
        self, trusted: Sequence[Network] = (), header: ProxyHeader = "x-forwarded-for"
    ) -> None:
        self.trusted = tuple(trusted)
        self.header = header.encode("latin-1")

    def is_trusted(self, address: Address | None) -> bool:
        return address is not None and any(address in net for net in self.trusted)

    def resolve(self, scope: Scope) -> str | None:
        client = scope.get("client")
        peer: str | None = client[0] if client else None
        if not self.trusted or peer is None or not self.is_trusted(_address(peer)):
            return peer
        values = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == self.header]
        if not values:
            return peer
        joined = ",".join(values)
        hops = (
            forwarded_hops(joined)
            if self.header == b"forwarded"
            else [hop.strip() for hop in joined.split(",")]
        )
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                # Our proxy wrote something that is not an address (`unknown`, an
                # obfuscated id): that is the client as far as anyone can tell.
                return hop or peer
            if not self.is_trusted(address):
                return str(address)
        # Every hop is one of our proxies (a probe from the proxy itself).
        first = _address(hops[0]) if hops else None
        return str(first) if first is not None else peer
