"""ETag and If-Match for versioned records (see domain/concurrency.py), written once.

Reads and writes of a versioned record send `ETag: "v<version>"`; changes require
`If-Match` with it (missing: 428, stale: 412). `*` matches any current version; weak
ETags (W/...) never match (RFC 9110 13.1.1).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header, Response

from domain.concurrency import VersionMatch

_ETAG = re.compile(r'^"v([0-9]{1,9})"$')

#: The If-Match request header. Declared optional, so that its absence is our 428 problem
#: rather than a 422; the OpenAPI document marks it required (api/openapi.py).
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag from your last read (e.g. `"v3"`); required: missing is 428, '
        "stale is 412",
        examples=['"v3"'],
    ),
]

ETAG_HEADER: dict[str, Any] = {
    "description": 'The version of the record, for If-Match (e.g. `"v3"`)',
    "schema": {"type": "string", "pattern": '^"v[0-9]+"$'},
}


def etag(version: int) -> str:
    return f'"v{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def expected_version(if_match: str | None) -> VersionMatch | None:
    """None without If-Match (the use case answers 428); otherwise the versions it names."""
    if if_match is None:
        return None
    if if_match.strip() == "*":
        return VersionMatch(any_version=True)
    versions = set()
    for tag in if_match.split(","):
        match = _ETAG.match(tag.strip())
        if match:
            versions.add(int(match.group(1)))
    return VersionMatch(versions=frozenset(versions))
