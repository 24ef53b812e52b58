"""The scenarios: what each one sends, as whom, and what it is held to (issue 10).

Requests are prepared here as raw HTTP/1.1 bytes (tokens minted with the bench's signing
key, ids, receipts and cursors read from the seeded database, bodies in Thai) and
replayed by wrk (bench/lua/requests.lua), by the parity check and by the open-loop
client. `{{KEY}}` in a request is replaced by a key unique to the run.
"""

from __future__ import annotations

import json
import os
import random
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from auth.tokens import TokenConfig, issue_access_token
from bench import thai
from bench.config import Secrets, asyncpg_dsn
from bench.seed import bench_password
from domain.pagination import Cursor
from domain.policy import Principal, Role

KEY = "{{KEY}}"
#: Issue 10's ratio targets: reads >= 0.6x the reference; writes and audited reads >= 0.5x.
READ, AUDITED, WRITE, ARGON2 = "read", "audited read", "write", "argon2"
#: Statistics (issue 14): no reference implementation; held to latency (200 ms), not a ratio.
STATISTICS = "statistics"
TARGETS = {READ: 0.6, AUDITED: 0.5, WRITE: 0.5}
#: Sign-ins are bounded by Argon2 (CPU and 64 MiB each): two in flight per core, not 32.
SIGN_IN_CONNECTIONS = 2 * (os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    kind: str
    requests: list[bytes]
    expect: int = 200
    #: Compare the API's and the reference's bodies byte for byte (else: same keys).
    same_bytes: bool = True
    notes: str = ""
    #: wrk connections when not the suite's default (sign-in: a few per core).
    connections: int | None = None
    #: Whether the reference implements it (statistics: no; the API is measured alone).
    has_reference: bool = True

    @property
    def target(self) -> float | None:
        return TARGETS.get(self.kind)

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.req"
        path.write_bytes(b"\0".join(self.requests))
        return path


def http_request(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head + (body or b"")


def token_config(keys: Secrets) -> TokenConfig:
    """The API's defaults (JWT_KID k1, issuer duangta, audience duangta-api, 15 minutes)."""
    return TokenConfig(
        keys={"k1": keys.jwt_secret},
        current_kid="k1",
        issuer="duangta",
        audience="duangta-api",
        access_ttl=timedelta(minutes=15),
    )


@dataclass(slots=True)
class Samples:
    """What the scenarios need from the seeded database."""

    central: list[Principal] = field(default_factory=list)
    auditors: list[Principal] = field(default_factory=list)
    officials: list[str] = field(default_factory=list)
    tip_ids: list[str] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    deep_cursors: list[str] = field(default_factory=list)
    deep_offset: int = 0
    province_40_tips: int = 0
    usernames: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)


async def load_samples(url: str) -> Samples:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        samples = Samples()
        for role, bucket in (("central_officer", samples.central), ("auditor", samples.auditors)):
            for row in await conn.fetch(
                "SELECT id, province_code FROM accounts WHERE role = $1 ORDER BY username LIMIT 10",
                role,
            ):
                bucket.append(Principal(account_id=row["id"], role=Role(role)))
        samples.officials = [
            str(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM accounts WHERE role IN ('central_officer', 'provincial_officer')"
                " ORDER BY username LIMIT 20"
            )
        ]
        samples.tip_ids = [
            str(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM tips TABLESAMPLE BERNOULLI (least(100, 300000.0 /"
                " greatest(1, (SELECT reltuples FROM pg_class WHERE relname = 'tips'))))"
                " REPEATABLE (42) LIMIT 2000"
            )
        ]
        samples.receipts = [
            r["receipt"]
            for r in await conn.fetch(
                "SELECT receipt FROM bench.receipts ORDER BY tip_id LIMIT 2000"
            )
        ]
        count = int(await conn.fetchval("SELECT count(*) FROM tips WHERE province_code = '40'"))
        samples.province_40_tips = count
        samples.deep_offset = count // 2
        for offset in range(count // 2 - 2, count // 2 + 3):
            row = await conn.fetchrow(
                "SELECT received_at, id FROM tips WHERE province_code = '40'"
                " ORDER BY received_at DESC, id DESC OFFSET $1 LIMIT 1",
                max(0, offset),
            )
            if row is not None:
                samples.deep_cursors.append(Cursor(at=row["received_at"], id=row["id"]).encode())
        samples.usernames = [
            r["username"]
            for r in await conn.fetch(
                "SELECT username FROM accounts WHERE is_active AND password_hash IS NOT NULL"
                " ORDER BY username"
            )
        ]
        samples.provinces = [r["code"] for r in await conn.fetch("SELECT code FROM provinces")]
        return samples
    finally:
        await conn.close()


def _bearer(config: TokenConfig, principal: Principal) -> dict[str, str]:
    token = issue_access_token(config, principal, now=datetime.now(UTC)).token
    return {"Authorization": f"Bearer {token}"}


def tip_body(rng: random.Random, provinces: list[str]) -> dict[str, Any]:
    category = rng.choice(list(thai.OPENINGS))
    body: dict[str, Any] = {
        "province_code": rng.choice(provinces),
        "category": category,
        "description": thai.description(rng, category, "ขอนแก่น"),
        "channel": rng.choice(("web", "mobile")),
    }
    if rng.random() < 0.6:
        body["accused"] = {
            "office": thai.office(rng, "ขอนแก่น"),
            "position": rng.choice(thai.POSITIONS),
            "is_provincial_labour_office": rng.random() < 0.03,
        }
    if rng.random() < 0.5:
        body["location"] = thai.location(rng, "ขอนแก่น")
    if rng.random() < 0.4:
        body["incident_date"] = "2026-10-15"
    if rng.random() < 0.3:
        body["amount_thb"] = "5000.00"
    return body


def build(samples: Samples, keys: Secrets) -> list[Scenario]:
    """Every wrk scenario, tokens minted now (they live 15 minutes: build just before use)."""
    rng = random.Random(7)  # noqa: S311 - synthetic requests
    config = token_config(keys)
    central = [_bearer(config, p) for p in samples.central]
    auditors = [_bearer(config, p) for p in samples.auditors]
    json_type = {"Content-Type": "application/json"}

    def get(path: str, auth: list[dict[str, str]] | None = None) -> bytes:
        return http_request("GET", path, headers=rng.choice(auth) if auth else None)

    scenarios = [
        Scenario(
            "provinces_get",
            "`GET /api/v1/provinces/40` (anonymous)",
            READ,
            [get("/api/v1/provinces/40")],
            notes="after the first request the API answers from its shared cache of public"
            " responses (api/public_cache.py: no routing or dependencies); the reference"
            " reads the row every time",
        ),
        Scenario(
            "tips_get",
            "`GET /api/v1/tips/{id}` as a central officer (decrypted, audited)",
            AUDITED,
            [get(f"/api/v1/tips/{tip_id}", central) for tip_id in samples.tip_ids],
            notes=f"{len(samples.tip_ids)} random seeded ids, {len(central)} officers",
        ),
        Scenario(
            "tips_list_first",
            "`GET /api/v1/tips?province_code=40&limit=50`, first page",
            READ,
            [get("/api/v1/tips?province_code=40&limit=50", central) for _ in range(20)],
        ),
        Scenario(
            "tips_list_deep",
            "`GET /api/v1/tips?province_code=40&limit=50&cursor=...`, deep page",
            READ,
            [
                get(f"/api/v1/tips?province_code=40&limit=50&cursor={cursor}", central)
                for cursor in samples.deep_cursors
                for _ in range(4)
            ],
            notes=f"cursors about {samples.deep_offset} of {samples.province_40_tips} tips deep",
        ),
        Scenario(
            "volunteers_search",
            "`GET /api/v1/volunteers?q=<Thai name>` as a central officer",
            READ,
            [
                get(f"/api/v1/volunteers?q={urllib.parse.quote(name)}", central)
                for name in thai.SEARCH_NAMES
                for _ in range(3)
            ],
            notes="q among " + ", ".join(thai.SEARCH_NAMES),
        ),
        Scenario(
            "tips_create",
            "anonymous `POST /api/v1/tips` with a new `Idempotency-Key`",
            WRITE,
            [
                http_request(
                    "POST",
                    "/api/v1/tips",
                    headers={**json_type, "Idempotency-Key": KEY},
                    body=json.dumps(tip_body(rng, samples.provinces), ensure_ascii=False).encode(),
                )
                for _ in range(50)
            ],
            expect=201,
            same_bytes=False,
        ),
        Scenario(
            "tips_follow_up",
            "`POST /api/v1/tips/follow-up` with a valid receipt (audited)",
            AUDITED,
            [
                http_request(
                    "POST",
                    "/api/v1/tips/follow-up",
                    headers=json_type,
                    body=json.dumps({"receipt": receipt}).encode(),
                )
                for receipt in samples.receipts
            ],
            notes=f"{len(samples.receipts)} receipts kept by the seed",
        ),
        Scenario(
            "audit_list",
            "`GET /api/v1/audit-log?limit=100` as an auditor",
            READ,
            [get("/api/v1/audit-log?limit=100", auditors) for _ in range(10)],
        ),
        Scenario(
            "audit_list_actor",
            "`GET /api/v1/audit-log?limit=100&actor_id=<official>` as an auditor",
            READ,
            [
                get(f"/api/v1/audit-log?limit=100&actor_id={official}", auditors)
                for official in samples.officials
            ],
        ),
        Scenario(
            "auth_token",
            "`POST /api/v1/auth/token` (password flow: Argon2id verify, refresh token, audit)",
            ARGON2,
            [
                http_request(
                    "POST",
                    "/api/v1/auth/token",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    body=urllib.parse.urlencode(
                        {
                            "grant_type": "password",
                            "username": username,
                            "password": bench_password(keys),
                        }
                    ).encode(),
                )
                for username in samples.usernames
            ],
            same_bytes=False,
            connections=SIGN_IN_CONNECTIONS,
            notes=f"{len(samples.usernames)} accounts, {SIGN_IN_CONNECTIONS} connections",
        ),
        *statistics_scenarios(get, central),
    ]
    return scenarios


def statistics_scenarios(get: Any, central: list[dict[str, str]]) -> list[Scenario]:
    """Issue 14: the statistics calls, answered from the summary tables (bench/seed.py
    rebuilds them after the COPY). The reference server has no statistics: the API is
    measured alone; what counts is its latency (goal: 200 ms at 1,000,000 tips)."""
    note = "no reference implementation: compare the API's latency with the 200 ms goal"
    return [
        Scenario(
            "statistics_tips",
            "`GET /api/v1/statistics/tips?fiscal_year=2569` as a central officer",
            STATISTICS,
            [get("/api/v1/statistics/tips?fiscal_year=2569", central) for _ in range(10)],
            notes=note,
            has_reference=False,
        ),
        Scenario(
            "statistics_tips_province",
            "`GET /api/v1/statistics/tips?fiscal_year=2569&province_code=40`",
            STATISTICS,
            [
                get("/api/v1/statistics/tips?fiscal_year=2569&province_code=40", central)
                for _ in range(10)
            ],
            notes=note,
            has_reference=False,
        ),
        Scenario(
            "statistics_annual",
            "`GET /api/v1/statistics/annual?fiscal_year=2569` as a central officer",
            STATISTICS,
            [get("/api/v1/statistics/annual?fiscal_year=2569", central) for _ in range(10)],
            notes=note,
            has_reference=False,
        ),
        Scenario(
            "statistics_public",
            "anonymous `GET /api/v1/public/statistics?fiscal_year=2569` (cached 5 minutes)",
            STATISTICS,
            [get("/api/v1/public/statistics?fiscal_year=2569")],
            notes=note,
            has_reference=False,
        ),
    ]


def auditor_headers(samples: Samples, keys: Secrets) -> dict[str, str]:
    return _bearer(token_config(keys), samples.auditors[0])
