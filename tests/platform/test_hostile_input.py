"""The hostile input catalogue: what an attacker (or a broken client) sends, one table.

Every row is a request and the answer it must get: a documented problem
(`application/problem+json`), never a 500. Rows that store something check that it
comes back exactly as sent (SQL and HTML metacharacters as plain text, Thai with
combining marks and emoji byte for byte).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, params
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.app import api_routes
from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.tips.helpers import tip_body

#: The test app's MAX_BODY_BYTES (tests/conftest.py `test_settings`).
LIMIT = 64 * 1024
JSON = {"Content-Type": "application/json"}

#: SQL and HTML metacharacters, LIKE wildcards, quotes and a backslash: plain text to us.
METACHARACTERS = (
    "'; DROP TABLE tips; -- \" OR 1=1 /* */ %_\\ <script>alert('x')</script> "
    "&lt;b&gt; <img src=x onerror=alert(1)> ${jndi:ldap://x} {{7*7}}"
)
#: Thai with stacked combining marks (tone over vowel), decomposed Sara Am, zero-width
#: joiners, an emoji ZWJ sequence with a skin tone, a flag and a variation selector.
THAI = "ผู้ใหญ่บ้านเรียกเงิน น้ำ กำ (กํา decomposed) ปั๊ม 👩🏽\u200d⚖️ 🇹🇭 ❤️ ก\u0e34\u0e4a\u0e4a ซ้ำซ้อน ฯลฯ ๑๒๓"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    content: bytes | None = None
    json_body: Any = None
    headers: dict[str, str] | None = None
    as_role: Role | None = None


Check = Callable[[httpx.Response], None]


@dataclass(frozen=True)
class Case:
    name: str
    call: Call
    status: int
    kind: str | None = None
    check: Check | None = None


def _nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def _streamed(total: int) -> Any:
    async def chunks() -> Any:
        sent = 0
        while sent < total:
            yield b" " * 8192
            sent += 8192

    return chunks()


def _cursor(parts: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


TIME_CURSOR = _cursor(["t", "2026-11-26T00:00:00+00:00", "0b9a2a8e-6b8c-4f8e-9d39-3b0f1c6c2a11"])
SEQ_CURSOR = _cursor(["s", 42])
OFFICER = Role.CENTRAL_OFFICER
AUDITOR = Role.AUDITOR


def _loc_types(expected: str) -> Check:
    def check(response: httpx.Response) -> None:
        assert expected in {e["type"] for e in response.json()["errors"]}, response.text

    return check


CASES: list[Case] = [
    # -- size -------------------------------------------------------------------------
    Case(
        "body over the limit (Content-Length)",
        Call("POST", "/api/v1/tips", content=b"{" + b" " * LIMIT + b"}", headers=JSON),
        413,
        "payload-too-large",
    ),
    Case(
        "Content-Length that is not a number",
        Call("POST", "/api/v1/tips", content=b"{}", headers={**JSON, "Content-Length": "1e9"}),
        400,
        "bad-request",
    ),
    Case(
        "huge JSON just under the limit (one long string)",
        Call("POST", "/api/v1/tips", json_body=tip_body(description="ก" * 20_000)),
        422,
        "validation-error",
        _loc_types("string_too_long"),
    ),
    Case(
        "huge JSON array of ids",
        Call(
            "POST",
            "/api/v1/investigations",
            json_body={"title": "x" * 10, "tip_ids": ["0b9a2a8e"] * 5_000},
            as_role=OFFICER,
        ),
        422,
        "validation-error",
    ),
    Case(
        "JSON nested 10,000 levels deep",
        Call("POST", "/api/v1/tips", content=_nested(10_000), headers=JSON),
        400,
        "bad-request",
    ),
    Case(
        "JSON nested 10,000 levels deep, anonymous to a protected operation",
        Call("POST", "/api/v1/investigations", content=_nested(10_000), headers=JSON),
        401,
        "not-authenticated",
    ),
    Case(
        "JSON nested 500 levels deep (parsed, then refused by the schema)",
        Call("POST", "/api/v1/tips", content=_nested(500), headers=JSON),
        422,
        "validation-error",
    ),
    Case(
        "JSON objects nested 500 levels deep",
        Call("POST", "/api/v1/tips", content=b'{"a":' * 500 + b"1" + b"}" * 500, headers=JSON),
        422,
        "validation-error",
    ),
    Case(
        "JSON nested 100 levels deep (parsed, then refused by the schema)",
        Call("POST", "/api/v1/tips", content=_nested(100), headers=JSON),
        422,
        "validation-error",
    ),
    # -- encoding ---------------------------------------------------------------------
    Case(
        "invalid UTF-8",
        Call("POST", "/api/v1/tips", content=b'{"description": "\xc3\x28\xff"}', headers=JSON),
        400,
        "bad-request",
    ),
    Case(
        "overlong UTF-8 encoding of '/'",
        Call("POST", "/api/v1/tips/follow-up", content=b'{"receipt": "\xc0\xaf"}', headers=JSON),
        400,
        "bad-request",
    ),
    Case(
        "lone surrogate escaped in JSON",
        Call("POST", "/api/v1/tips/follow-up", content=b'{"receipt": "\\ud800"}', headers=JSON),
        422,
        "validation-error",
        _loc_types("string_unicode"),
    ),
    Case(
        "NUL in a tip's description",
        Call("POST", "/api/v1/tips", json_body=tip_body(description="ก" * 30 + "\x00" + "ข")),
        422,
        "validation-error",
        _loc_types("nul_character"),
    ),
    Case(
        "NUL in a volunteer's name",
        Call(
            "POST",
            "/api/v1/volunteers/applications",
            json_body={
                "full_name_th": "นาย\x00สมชาย",
                "national_id": "1101700230708",
                "date_of_birth": "1985-04-12",
                "phone": "0812345678",
                "province_code": "40",
            },
        ),
        422,
        "validation-error",
        _loc_types("nul_character"),
    ),
    Case(
        "NUL in a username at sign-in (a form body)",
        Call(
            "POST",
            "/api/v1/auth/token",
            content=b"grant_type=password&username=ad%00min&password=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        401,
        "not-authenticated",
    ),
    Case(
        "NUL in a search query",
        Call("GET", "/api/v1/volunteers?q=%E0%B8%81%00", as_role=OFFICER),
        422,
        "validation-error",
        _loc_types("nul_character"),
    ),
    Case(
        "NUL in a JSON key",
        Call("POST", "/api/v1/tips", json_body=tip_body(**{"x\x00": 1})),
        422,
        "validation-error",
    ),
    Case(
        "NUL in a body, anonymous to a protected operation",
        Call("POST", "/api/v1/investigations", json_body={"title": "\x00", "tip_ids": []}),
        401,
        "not-authenticated",
    ),
    Case(
        "JSON that is not UTF-8 sent to the sign-in form",
        Call("POST", "/api/v1/auth/token", content=b'{"username": "\xff"}', headers=JSON),
        422,
        "validation-error",
    ),
    Case(
        "NUL in a JSON body sent without a Content-Type",
        Call("POST", "/api/v1/tips", content=json.dumps(tip_body(location="\x00")).encode()),
        422,
        "validation-error",
        _loc_types("nul_character"),
    ),
    Case(
        "NUL in a path segment",
        Call("GET", "/api/v1/provinces/4%000", as_role=None),
        404,
        "not-found",
    ),
    # -- paging -----------------------------------------------------------------------
    *(
        Case(f"limit={value}", Call("GET", f"/api/v1/tips?limit={value}", as_role=OFFICER), 422)
        for value in ("0", "-1", "201", "99999999999999999999999999", "abc", "1e3", "1.5", "")
    ),
    Case(
        "tampered cursor (not base64 JSON)",
        Call("GET", "/api/v1/tips?cursor=AAAA", as_role=OFFICER),
        422,
        "invalid-input",
    ),
    Case(
        "truncated cursor",
        Call("GET", f"/api/v1/tips?cursor={TIME_CURSOR[:-7]}", as_role=OFFICER),
        422,
        "invalid-input",
    ),
    Case(
        "cursor with an impossible timestamp",
        Call(
            "GET",
            "/api/v1/tips?cursor=" + _cursor(["t", "0001-01-01T00:00:00+14:00", "x"]),
            as_role=OFFICER,
        ),
        422,
        "invalid-input",
    ),
    Case(
        "foreign cursor (an audit-log cursor on tips)",
        Call("GET", f"/api/v1/tips?cursor={SEQ_CURSOR}", as_role=OFFICER),
        422,
        "invalid-input",
    ),
    Case(
        "foreign cursor (a tips cursor on the audit log)",
        Call("GET", f"/api/v1/audit-log?cursor={TIME_CURSOR}", as_role=AUDITOR),
        422,
        "invalid-input",
    ),
    Case(
        "overlong cursor",
        Call("GET", "/api/v1/volunteers?cursor=" + "A" * 5000, as_role=OFFICER),
        422,
    ),
    # -- typos ------------------------------------------------------------------------
    Case(
        "unknown field in a body (a typo of province_code)",
        Call(
            "POST",
            "/api/v1/tips",
            json_body={
                k: v for k, v in tip_body(provnce_code="40").items() if k != "province_code"
            },
        ),
        422,
        "validation-error",
        _loc_types("extra_forbidden"),
    ),
    Case(
        "unknown field in a nested object",
        Call(
            "POST",
            "/api/v1/tips",
            json_body=tip_body(contact={"name": "x", "phone": "0812345678", "emial": "a@b.c"}),
        ),
        422,
        "validation-error",
        _loc_types("extra_forbidden"),
    ),
    Case(
        "a JSON number where a money string is expected, beyond a double",
        Call("POST", "/api/v1/tips", json_body=tip_body(amount_thb=1e308)),
        422,
        "validation-error",
    ),
]


async def _send(
    client: httpx.AsyncClient, call: Call, callers: dict[Role, dict[str, str]]
) -> httpx.Response:
    headers = dict(call.headers or {})
    if call.as_role is not None:
        headers.update(callers[call.as_role])
    if call.json_body is not None:
        return await client.request(call.method, call.path, json=call.json_body, headers=headers)
    return await client.request(call.method, call.path, content=call.content, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_hostile_input_is_a_documented_problem(
    client: httpx.AsyncClient, login_as: LoginAs, case: Case
) -> None:
    callers = {role: await login_as(role) for role in {c.call.as_role for c in CASES} if role}
    response = await _send(client, case.call, callers)
    assert_problem(response, case.status, case.kind)
    if case.check is not None:
        case.check(response)


async def test_a_body_over_the_limit_without_content_length_is_413(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/tips", content=_streamed(LIMIT + 8192), headers=JSON)
    assert_problem(response, 413, "payload-too-large")


@pytest.mark.parametrize("text", [METACHARACTERS, THAI], ids=["sql-and-html", "thai-and-emoji"])
async def test_text_round_trips_exactly(
    client: httpx.AsyncClient, login_as: LoginAs, text: str
) -> None:
    """Stored and returned exactly as sent: no escaping, no normalisation, byte for byte."""
    description = f"{text} {'ก' * 20}"
    body = tip_body(
        description=description,
        location=text[:200],
        accused={"office": text[:200], "person_name": None, "position": None},
    )
    created = await client.post("/api/v1/tips", json=body)
    assert created.status_code == 201, created.text
    officer = await login_as(Role.CENTRAL_OFFICER)
    read = await client.get(f"/api/v1/tips/{created.json()['id']}", headers=officer)
    assert read.status_code == 200, read.text
    tip = read.json()
    assert tip["description"].encode() == description.encode()
    assert tip["location"].encode() == text[:200].encode()
    assert tip["accused"]["office"].encode() == text[:200].encode()
    # A search with the same characters is a search, not SQL (LIKE wildcards escaped).
    listed = await client.get("/api/v1/volunteers", params={"q": text[:100]}, headers=officer)
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []


def test_every_request_body_refuses_unknown_fields(app: FastAPI) -> None:
    """Unknown fields could hide a typo (`provnce_code`): every JSON body model forbids
    them (api/schemas.py `ApiModel`). Unknown *query* parameters are ignored, as HTTP
    caches and proxies expect (docs/reliability.md)."""
    seen = 0
    for _, route in api_routes(app):
        assert isinstance(route, APIRoute)
        field = route.body_field
        if field is None or isinstance(field.field_info, params.Form):
            continue  # the OAuth2 sign-in form: RFC 6749 clients may send more (scope, ...)
        annotation = field.field_info.annotation
        for model in _models_in(annotation):
            seen += 1
            assert model.model_config.get("extra") == "forbid", (route.path, model.__name__)
    assert seen > 30


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
        for info in annotation.model_fields.values():
            found.extend(_models_in(info.annotation))
    for arg in getattr(annotation, "__args__", ()):
        found.extend(_models_in(arg))
    return found
