"""The measuring stick: the benchmark's scenarios on bare Starlette + asyncpg, nothing else.

Each endpoint does what the API does for the same request, with the same semantics:

- the caller: the JWT verified with PyJWT exactly as `auth/tokens.py` does (pinned HS256,
  key by `kid`, every claim required, `iss` and `aud` checked), then the account read by
  primary key and compared (active, same role, province and agency); the policy's
  role check for the action; a provincial officer's province (and recusal) applied;
- the same statements (tables, filters, order, limits, locks) in the same transactions,
  the audit entry appended in the same transaction as the change, under the same
  advisory lock, chained with the same canonical encoding (sorted-key compact JSON,
  SHA-256) so that the service's verifier accepts what this server writes;
- the same cryptography: AES-256-GCM through the service's `KeyRing` (sealed values
  `len(kid) || kid || nonce || ciphertext || tag`, bound to `tip:<id>:<field>`), keyed
  hashes of receipts, idempotency rows addressed by SHA-256 and sealed under HKDF(key),
  Argon2id through pwdlib with the service's parameters;
- the same JSON bytes: pydantic's compact output (UTF-8, `Z` for UTC, decimals as
  strings), here written with the standard library's `json` (orjson is not in the lock);
- `X-Request-ID` accepted or generated and echoed, `Cache-Control: no-store`, the body
  size limit, the anonymous-intake budget (a fixed window per HMAC of the client address;
  the API's is a moving window).

It only serves the callers the scenarios use (anonymous, central officers and admins,
provincial officers, auditors) and the query parameters they send; anything else is
refused (403, or 400 for an unknown parameter) rather than half implemented. It selects
only the columns its responses need, and decrypts only what it shows (a follow-up opens
message bodies, not the tip's description). Errors are RFC 9457 problems like the API's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from domain.contact import normalize_any_phone, normalize_email
from domain.tips.deadlines import DeadlineRules, buddhist_year, format_reference
from domain.tips.receipts import new_receipt, normalize_receipt
from persistence.crypto import KeyRing, Sealed

AUDIT_CHAIN_LOCK = 0x0D0A_7A00_A0D1_7001
GENESIS = "0" * 64
MAX_BODY = int(os.environ.get("MAX_BODY_BYTES", "1048576"))
JSON = "application/json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_PROVINCE = re.compile(r"^(?:TH-)?([0-9]{2})$", re.IGNORECASE)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{16,128}$")
_NATIONAL_ID_LIKE = re.compile(
    r"(?<![0-9A-Za-z])\d{13}(?![0-9A-Za-z])|(?<!\d)\d-\d{4}-\d{5}-\d{2}-\d(?!\d)"
)
CATEGORIES = frozenset(
    (
        "bribery",
        "extortion",
        "embezzlement",
        "procurement_fraud",
        "abuse_of_authority",
        "illegal_recruitment_fees",
        "fund_fraud",
        "conflict_of_interest",
        "other",
    )
)
CHANNELS = frozenset(("web", "mobile", "hotline", "walk_in"))
OFFICIALS = frozenset(("provincial_officer", "central_officer", "admin"))
TIP_READERS_FULL = frozenset(("central_officer", "admin"))
AUDITORS = frozenset(("auditor", "admin"))
VOLUNTEER_MANAGERS = frozenset(("admin", "central_officer", "provincial_officer"))
TIP_FIELDS = frozenset(
    (
        "province_code",
        "category",
        "description",
        "accused",
        "incident_date",
        "incident_period_start",
        "incident_period_end",
        "location",
        "amount_thb",
        "channel",
        "contact",
    )
)


class Problem(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail


def unauthenticated(detail: str) -> Problem:
    return Problem(401, "not-authenticated", "Not authenticated", detail)


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "Forbidden", detail)


def invalid(detail: str) -> Problem:
    return Problem(422, "invalid-input", "Invalid input", detail)


def not_found(detail: str) -> Problem:
    return Problem(404, "not-found", "Not found", detail)


# -- configuration, built once -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Config:
    dsn: str
    keyring: KeyRing
    jwt_keys: dict[str, str]
    jwt_kid: str
    issuer: str
    audience: str
    access_ttl: timedelta
    refresh_ttl: timedelta
    session_idle: timedelta
    rules: DeadlineRules
    client_secret: bytes
    submit_budget: tuple[int, float]  # (amount, window seconds)
    failure_budget: tuple[int, float]
    pool_size: int

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        data_keys, data_kid, hash_key = env["DATA_KEYS"], env["DATA_KEY_ID"], env["DATA_HASH_KEY"]
        secret = env["JWT_SECRET"]
        kid = env.get("JWT_KID", "k1")
        return cls(
            dsn=env["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1),
            keyring=KeyRing.parse(data_keys, data_kid, hash_key),
            jwt_keys={kid: secret},
            jwt_kid=kid,
            issuer=env.get("JWT_ISSUER", "duangta"),
            audience=env.get("JWT_AUDIENCE", "duangta-api"),
            access_ttl=timedelta(minutes=int(env.get("ACCESS_TOKEN_MINUTES", "15"))),
            refresh_ttl=timedelta(days=int(env.get("REFRESH_TOKEN_DAYS", "14"))),
            session_idle=timedelta(minutes=int(env.get("SESSION_IDLE_MINUTES", "30"))),
            rules=DeadlineRules(
                ack_days=int(env.get("TIP_ACK_DAYS", "7")),
                feedback_months=int(env.get("TIP_FEEDBACK_MONTHS", "3")),
            ),
            client_secret=hashlib.sha256(b"duangta-client-key\x00" + secret.encode()).digest(),
            submit_budget=_rate(env.get("TIP_SUBMIT_ANONYMOUS_RATE", "30/hour")),
            failure_budget=_rate(env.get("TIP_FOLLOW_UP_FAILURE_RATE", "10/15minutes")),
            pool_size=int(env.get("DATABASE_POOL_SIZE", "10")),
        )


def _rate(text: str) -> tuple[int, float]:
    """'30/hour', '10/15minutes' -> (amount, window in seconds)."""
    amount, _, per = text.partition("/")
    match = re.match(r"^\s*(\d*)\s*(second|minute|hour|day)s?\s*$", per)
    if not match or not amount.strip().isdigit():
        raise ValueError(f"not a rate: {text!r}")
    unit = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[match.group(2)]
    return int(amount), float(int(match.group(1) or 1) * unit)


CONFIG: Config
POOL: asyncpg.Pool
HASHER = PasswordHash((Argon2Hasher(),))
_DUMMY_HASH: list[str] = []


class FixedWindow:
    """Per-client counters of one budget (the API's `limits` moving window, simplified)."""

    def __init__(self, amount: int, seconds: float) -> None:
        self.amount, self.seconds = amount, seconds
        self.windows: dict[str, tuple[float, int]] = {}

    def _current(self, client: str) -> tuple[float, int]:
        now = time.monotonic()
        start, count = self.windows.get(client, (now, 0))
        return (now, 0) if now - start >= self.seconds else (start, count)

    def check(self, client: str) -> None:
        """Refuse when the budget is spent, without counting."""
        if self._current(client)[1] >= self.amount:
            raise Problem(429, "too-many-requests", "Too many requests", "Too many requests.")

    def hit(self, client: str) -> None:
        start, count = self._current(client)
        if count >= self.amount:
            raise Problem(429, "too-many-requests", "Too many requests", "Too many requests.")
        self.windows[client] = (start, count + 1)


SUBMIT_LIMIT: FixedWindow
FAILURE_LIMIT: FixedWindow


def client_key(request: Request) -> str:
    """An HMAC of the client address (the address itself is never kept)."""
    host = request.client.host if request.client else "unknown"
    return hmac.new(CONFIG.client_secret, host.encode(), "sha256").hexdigest()[:32]


# -- JSON exactly as pydantic writes it --------------------------------------------------


def ts(value: datetime | None) -> str | None:
    """pydantic's datetime text: ISO 8601, `Z` for UTC."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def request_id_of(request: Request) -> str:
    incoming = request.headers.get("x-request-id", "")
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def reply(
    body: bytes, request_id: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    all_headers = {"X-Request-ID": request_id, "Cache-Control": "no-store"}
    if headers:
        all_headers.update(headers)
    return Response(body, status_code=status, media_type=JSON, headers=all_headers)


Handler = Callable[[Request, str], Awaitable[Response]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Request id, body-size limit, and problems as RFC 9457 responses."""

    async def run(request: Request) -> Response:
        request_id = request_id_of(request)
        try:
            length = request.headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
                raise Problem(413, "payload-too-large", "Content Too Large", "Too large.")
            return await handler(request, request_id)
        except Problem as problem:
            body = {
                "type": "urn:duangta:problem:" + problem.slug,
                "title": problem.title,
                "status": problem.status,
                "detail": problem.detail,
                "instance": request.url.path,
                "request_id": request_id,
            }
            headers = {"X-Request-ID": request_id, "Cache-Control": "no-store"}
            if problem.status == 401:
                headers["WWW-Authenticate"] = "Bearer"
            return Response(
                dumps(body),
                status_code=problem.status,
                media_type="application/problem+json",
                headers=headers,
            )

    return run


def only_params(request: Request, allowed: set[str]) -> None:
    extra = set(request.query_params) - allowed
    if extra:
        raise Problem(400, "bad-request", "Bad Request", f"not in the reference: {sorted(extra)}")


# -- the caller ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: uuid.UUID
    role: str
    province_code: str | None


def claims_of(request: Request) -> dict[str, Any] | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = CONFIG.jwt_keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise unauthenticated("The access token is invalid or expired.")
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            audience=CONFIG.audience,
            issuer=CONFIG.issuer,
            options={"require": ["exp", "iat", "nbf", "sub", "role", "jti", "iss", "aud"]},
        )
        uuid.UUID(claims["sub"])
        return claims
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise unauthenticated("The access token is invalid or expired.") from exc


async def caller_of(conn: asyncpg.Connection, claims: dict[str, Any] | None) -> Caller | None:
    """The verified caller: the account read by primary key must still match the token."""
    if claims is None:
        return None
    row = await conn.fetchrow(
        "SELECT role, province_code, agency_code, is_active, must_change_password"
        " FROM accounts WHERE id = $1",
        uuid.UUID(claims["sub"]),
    )
    prov = claims.get("prov")
    agency = claims.get("agency")
    if (
        row is None
        or not row["is_active"]
        or row["role"] != claims["role"]
        or row["province_code"] != (prov if isinstance(prov, str) else None)
        or row["agency_code"] != (agency if isinstance(agency, str) else None)
    ):
        raise unauthenticated(
            "The access token is no longer valid for this account: sign in again."
        )
    if row["must_change_password"]:
        raise forbidden("This account must change its password.")
    return Caller(uuid.UUID(claims["sub"]), row["role"], row["province_code"])


def require(caller: Caller | None, roles: frozenset[str]) -> Caller:
    if caller is None:
        raise unauthenticated("This operation needs a valid access token.")
    if caller.role not in roles:
        raise forbidden(f"The role '{caller.role}' may not do this (or not in the reference).")
    return caller


# -- the audit chain -------------------------------------------------------------------


async def append_audit(
    conn: asyncpg.Connection,
    *,
    actor_id: str,
    actor_role: str | None,
    action: str,
    entity_type: str | None,
    entity_id: str | None,
    province_code: str | None,
    request_id: str | None,
    details: dict[str, Any],
) -> tuple[int, datetime]:
    """Append one entry in the caller's transaction, under the chain's advisory lock."""
    if actor_id in ("anonymous", "reporter") or (
        request_id is not None and _NATIONAL_ID_LIKE.search(request_id)
    ):
        request_id = None
    # The chain's advisory lock (AUDIT_CHAIN_LOCK), then the head (migration 0019).
    head = await conn.fetchrow("SELECT seq, hash, occurred_at FROM audit_chain_head()")
    seq, prev, last = (head[0], head[1], head[2]) if head else (0, GENESIS, None)
    now = datetime.now(UTC)
    at = now if last is None or now >= last else last
    document = {
        "seq": seq + 1,
        "occurred_at": at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z",
        "actor_id": actor_id,
        "actor_role": actor_role,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "province_code": province_code,
        "request_id": request_id,
        "details": details,
        "prev_hash": prev,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    await conn.execute(
        "INSERT INTO audit_log (seq, occurred_at, actor_id, actor_role, action, entity_type,"
        " entity_id, province_code, request_id, details, prev_hash, hash)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        seq + 1,
        at,
        actor_id,
        actor_role,
        action,
        entity_type,
        entity_id,
        province_code,
        request_id,
        json.dumps(details, ensure_ascii=False),
        prev,
        digest,
    )
    return seq + 1, at


# -- sealing ----------------------------------------------------------------------------


def seal(value: str | None, aad: str) -> bytes | None:
    if value is None:
        return None
    sealed = CONFIG.keyring.seal(value, aad=aad)
    kid = sealed.kid.encode()
    return bytes([len(kid)]) + kid + sealed.blob


def open_sealed(data: bytes | None, aad: str) -> str | None:
    if data is None:
        return None
    size = data[0]
    return CONFIG.keyring.open(Sealed(data[1 : 1 + size].decode(), data[1 + size :]), aad=aad)


def open_json(data: bytes | None, aad: str) -> dict[str, Any] | None:
    text = open_sealed(data, aad)
    return None if text is None else dict(json.loads(text))


def deadline_status(due: datetime, done: datetime | None, now: datetime) -> str:
    if done is not None:
        return "met" if done <= due else "overdue"
    return "overdue" if now > due else "pending"


# -- provinces ---------------------------------------------------------------------------


@endpoint
async def province(request: Request, request_id: str) -> Response:
    code = request.path_params["code"]
    if len(code) > 8:
        raise invalid("code is at most 8 characters.")
    match = _PROVINCE.match(code.strip())
    row = None
    if match:
        async with POOL.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT code, name_th, name_en, region, office_name, office_address,"
                " office_phone, office_email FROM provinces WHERE code = $1",
                match.group(1),
            )
    if row is None:
        raise not_found(f"No province has the code '{code}'.")
    body = {
        "code": row["code"],
        "iso_code": "TH-" + row["code"],
        "name_th": row["name_th"],
        "name_en": row["name_en"],
        "region": row["region"],
        "labour_office": {
            "name": row["office_name"],
            "address": row["office_address"],
            "phone": row["office_phone"],
            "email": row["office_email"],
        },
    }
    return reply(dumps(body), request_id)


# -- tips: reading -------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    "id, reference, province_code, category, status, channel, received_at, ack_due_at,"
    " feedback_due_at, acknowledged_at, first_feedback_at"
)


def summary(row: asyncpg.Record, now: datetime) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "reference": row["reference"],
        "province_code": row["province_code"],
        "category": row["category"],
        "status": row["status"],
        "channel": row["channel"],
        "received_at": ts(row["received_at"]),
        "ack_due_at": ts(row["ack_due_at"]),
        "ack_status": deadline_status(row["ack_due_at"], row["acknowledged_at"], now),
        "feedback_due_at": ts(row["feedback_due_at"]),
        "feedback_status": deadline_status(row["feedback_due_at"], row["first_feedback_at"], now),
    }


def decode_time_cursor(text: str) -> tuple[datetime, uuid.UUID]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        kind, at, item = parts
        moment = datetime.fromisoformat(at)
        if kind != "t" or moment.tzinfo is None:
            raise ValueError(text)
        return moment.astimezone(UTC), uuid.UUID(item)
    except (ValueError, TypeError) as exc:
        raise invalid("The cursor is not valid; start again without it.") from exc


def encode_time_cursor(at: datetime, item: uuid.UUID) -> str:
    raw = json.dumps(["t", at.isoformat(), str(item)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_limit(request: Request, default: int = 50, maximum: int = 200) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise invalid(f"limit is between 1 and {maximum}.")
    return int(raw)


@endpoint
async def tips_list(request: Request, request_id: str) -> Response:
    only_params(request, {"province_code", "limit", "cursor"})
    limit = page_limit(request)
    claims = claims_of(request)
    conditions: list[str] = []
    args: list[Any] = []
    code = request.query_params.get("province_code")
    if code is not None:
        match = _PROVINCE.match(code.strip()) if len(code) <= 8 else None
        if match is None:
            raise invalid(f"'{code[:8]}' is not a province code.")
        args.append(match.group(1))
        conditions.append(f"province_code = ${len(args)}")
    cursor = request.query_params.get("cursor")
    if cursor is not None:
        if len(cursor) > 200:
            raise invalid("The cursor is not valid; start again without it.")
        at, item = decode_time_cursor(cursor)
        args += [at, item]
        conditions.append(f"(received_at, id) < (${len(args) - 1}, ${len(args)})")
    async with POOL.acquire() as conn:
        caller = require(await caller_of(conn, claims), OFFICIALS)
        if caller.role == "provincial_officer":
            args.append(caller.province_code)
            conditions.append(
                f"province_code = ${len(args)} AND (recused_province_code IS NULL"
                f" OR recused_province_code <> ${len(args)})"
            )
        args.append(limit + 1)
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        rows = await conn.fetch(
            f"SELECT {SUMMARY_COLUMNS} FROM tips {where}"
            f"ORDER BY received_at DESC, id DESC LIMIT ${len(args)}",
            *args,
        )
    now = datetime.now(UTC)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_time_cursor(rows[-1]["received_at"], rows[-1]["id"])
    body = {"items": [summary(row, now) for row in rows], "next_cursor": next_cursor}
    return reply(dumps(body), request_id)


@endpoint
async def tips_get(request: Request, request_id: str) -> Response:
    try:
        tip_id = uuid.UUID(request.path_params["tip_id"])
    except ValueError as exc:
        raise invalid("tip_id is not a UUID.") from exc
    claims = claims_of(request)
    async with POOL.acquire() as conn, conn.transaction():
        caller = require(await caller_of(conn, claims), OFFICIALS)
        tip = await conn.fetchrow("SELECT * FROM tips WHERE id = $1", tip_id)
        if tip is None or (
            caller.role == "provincial_officer"
            and (
                tip["province_code"] != caller.province_code
                or tip["recused_province_code"] == caller.province_code
            )
        ):
            raise not_found(f"No tip {tip_id}.")
        events = await conn.fetch(
            "SELECT id, at, actor_id, actor_role, from_status, to_status, outcome, reason"
            " FROM tip_events WHERE tip_id = $1 ORDER BY seq",
            tip_id,
        )
        visible = ""
        if caller.role == "provincial_officer":
            visible = (
                " AND tips.province_code = $2 AND (tips.recused_province_code IS NULL"
                " OR tips.recused_province_code <> $2)"
            )
        link_args = [tip_id, caller.province_code] if visible else [tip_id]
        outgoing = await conn.fetch(
            "SELECT tips.id, tips.reference, tip_links.kind FROM tips"
            " JOIN tip_links ON tip_links.target_id = tips.id WHERE tip_links.tip_id = $1"
            f"{visible} ORDER BY tip_links.created_at, tips.id",
            *link_args,
        )
        incoming = await conn.fetch(
            "SELECT tips.id, tips.reference, tip_links.kind FROM tips"
            " JOIN tip_links ON tip_links.tip_id = tips.id WHERE tip_links.target_id = $1"
            f"{visible} ORDER BY tip_links.created_at, tips.id",
            *link_args,
        )
        # The identity vault (issue 11): who reported the tip only once a custodian
        # approved this caller's request, and that read audited on its own.
        disclosure = await conn.fetchval(
            "SELECT id FROM tip_disclosures WHERE tip_id = $1 AND requested_by = $2"
            " AND status = 'approved' ORDER BY decided_at DESC LIMIT 1",
            tip_id,
            caller.account_id,
        )
        recused = tip["recused_province_code"]
        audit_province = None if tip["province_code"] == recused else tip["province_code"]
        await append_audit(
            conn,
            actor_id=str(caller.account_id),
            actor_role=caller.role,
            action="tip.viewed",
            entity_type="tip",
            entity_id=str(tip_id),
            province_code=audit_province,
            request_id=request_id,
            details={"fields": ["record", "reporter_identity"] if disclosure else ["record"]},
        )
        if disclosure is not None:
            await append_audit(
                conn,
                actor_id=str(caller.account_id),
                actor_role=caller.role,
                action="tip.identity_disclosed",
                entity_type="tip",
                entity_id=str(tip_id),
                province_code=audit_province,
                request_id=request_id,
                details={"disclosure_id": str(disclosure)},
            )
    now = datetime.now(UTC)
    aad = f"tip:{tip_id}:"
    accused = open_json(tip["accused"], aad + "accused")
    contact = open_json(tip["contact"], aad + "contact")
    reporter = open_sealed(tip["reporter"], aad + "reporter")
    amount: Decimal | None = tip["amount_thb"]
    body = summary(tip, now)
    body.update(
        {
            "view": "full",
            "recused": recused is not None,
            "outcome": tip["outcome"],
            "acknowledged_at": ts(tip["acknowledged_at"]),
            "closed_at": ts(tip["closed_at"]),
            "description": open_sealed(tip["description"], aad + "description"),
            "accused": None
            if accused is None
            else {
                "office": accused.get("office"),
                "person_name": accused.get("person_name"),
                "position": accused.get("position"),
                "is_provincial_labour_office": accused.get("is_provincial_labour_office", False),
            },
            "incident_date": _date(tip["incident_date"]),
            "incident_period_start": _date(tip["incident_period_start"]),
            "incident_period_end": _date(tip["incident_period_end"]),
            "location": open_sealed(tip["location"], aad + "location"),
            "amount_thb": None if amount is None else str(amount),
            "contact": None
            if contact is None or disclosure is None
            else {
                "name": contact.get("name"),
                "phone": contact.get("phone"),
                "email": contact.get("email"),
            },
            "reporter": {
                "kind": "volunteer"
                if reporter
                else "recorded"
                if tip["recorded_by"]
                else "anonymous",
                "disclosed": disclosure is not None,
                "account_id": (reporter or None) if disclosure else None,
                "recorded_by": None
                if tip["recorded_by"] is None or disclosure is None
                else str(tip["recorded_by"]),
            },
            "history": [
                {
                    "at": ts(e["at"]),
                    "from_status": e["from_status"],
                    "to_status": e["to_status"],
                    "outcome": e["outcome"],
                    "actor_id": str(e["actor_id"]),
                    "actor_role": e["actor_role"],
                    "reason": open_sealed(e["reason"], f"tip_event:{e['id']}:reason"),
                }
                for e in events
            ],
            "links": [
                {
                    "tip_id": str(link["id"]),
                    "reference": link["reference"],
                    "kind": link["kind"],
                    "direction": direction,
                }
                for direction, links in (("outgoing", outgoing), ("incoming", incoming))
                for link in links
            ],
        }
    )
    return reply(dumps(body), request_id)


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# -- tips: intake and follow-up -------------------------------------------------------------


def _text(document: dict[str, Any], name: str, maximum: int, *, required: bool = False) -> Any:
    value = document.get(name)
    if value is None:
        if required:
            raise invalid(f"'{name}' is required.")
        return None
    if not isinstance(value, str) or len(value) > maximum:
        raise invalid(f"'{name}' must be a string of at most {maximum} characters.")
    return value


def _iso_date(document: dict[str, Any], name: str) -> date | None:
    value = document.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise invalid(f"'{name}' is not a date.") from exc


def parse_tip(document: Any) -> dict[str, Any]:
    """The checks of `TipCreate` (and of `Tip.new`): the normalised request document."""
    if not isinstance(document, dict) or set(document) - TIP_FIELDS:
        raise invalid("The body is not a tip (unknown or missing fields).")
    province_code = _text(document, "province_code", 8, required=True)
    category = document.get("category")
    if category not in CATEGORIES:
        raise invalid("'category' is not a known category.")
    description = _text(document, "description", 10_000, required=True)
    if len(description) < 20 or not 20 <= len(description.strip()) <= 10_000:
        raise invalid("The description must be 20 to 10000 characters.")
    channel = document.get("channel", "web")
    if channel not in CHANNELS:
        raise invalid("'channel' is not a known channel.")
    accused = document.get("accused")
    if accused is not None:
        if not isinstance(accused, dict) or set(accused) - {
            "office",
            "person_name",
            "position",
            "is_provincial_labour_office",
        }:
            raise invalid("'accused' is not valid.")
        flag = accused.get("is_provincial_labour_office", False)
        if not isinstance(flag, bool):
            raise invalid("'is_provincial_labour_office' is a boolean.")
        accused = {
            "office": _text(accused, "office", 300),
            "person_name": _text(accused, "person_name", 200),
            "position": _text(accused, "position", 200),
            "is_provincial_labour_office": flag,
        }
    contact = document.get("contact")
    if contact is not None:
        if not isinstance(contact, dict) or set(contact) - {"name", "phone", "email"}:
            raise invalid("'contact' is not valid.")
        contact = {
            "name": _text(contact, "name", 200),
            "phone": _text(contact, "phone", 32),
            "email": _text(contact, "email", 254),
        }
    amount: Decimal | None = None
    raw_amount = document.get("amount_thb")
    if raw_amount is not None:
        try:
            amount = Decimal(str(raw_amount))
        except InvalidOperation as exc:
            raise invalid("'amount_thb' is not a number.") from exc
        exponent = amount.as_tuple().exponent
        if (
            amount < 0
            or not isinstance(exponent, int)
            or -exponent > 2
            or len(amount.as_tuple().digits) > 14
        ):
            raise invalid("'amount_thb' is a non-negative amount with at most 2 decimals.")
    incident = [_iso_date(document, n) for n in ("incident_date", "incident_period_start")]
    incident.append(_iso_date(document, "incident_period_end"))
    if incident[0] is not None and (incident[1] is not None or incident[2] is not None):
        raise invalid("Give either incident_date or an incident period, not both.")
    if incident[1] and incident[2] and incident[2] < incident[1]:
        raise invalid("incident_period_end is before incident_period_start.")
    return {
        "province_code": province_code,
        "category": category,
        "description": description,
        "accused": accused,
        "incident_date": _date(incident[0]),
        "incident_period_start": _date(incident[1]),
        "incident_period_end": _date(incident[2]),
        "location": _text(document, "location", 500),
        "amount_thb": None if amount is None else str(amount),
        "channel": channel,
        "contact": contact,
    }


def _idempotency_aead(scope_key: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"duangta-idempotency-v1")
    return AESGCM(hkdf.derive(scope_key))


_PROVINCE_CODES: frozenset[str] | None = None


async def province_codes(conn: asyncpg.Connection) -> frozenset[str]:
    """The province codes, read on first use (reference data only a migration changes)."""
    global _PROVINCE_CODES
    if _PROVINCE_CODES is None:
        _PROVINCE_CODES = frozenset(r[0] for r in await conn.fetch("SELECT code FROM provinces"))
    return _PROVINCE_CODES


@endpoint
async def tips_create(request: Request, request_id: str) -> Response:
    claims = claims_of(request)
    if claims is not None:
        raise forbidden("Signed-in submissions are not in the reference (anonymous only).")
    try:
        document = parse_tip(json.loads(await request.body()))
    except ValueError as exc:
        raise invalid("The body is not JSON.") from exc
    SUBMIT_LIMIT.hit(client_key(request))
    if document["channel"] in ("hotline", "walk_in"):
        raise forbidden("Only officials record hotline and walk-in tips.")
    key = request.headers.get("idempotency-key")
    key_hash = fingerprint = None
    if key is not None:
        if not _IDEMPOTENCY_KEY.match(key):
            raise invalid("The Idempotency-Key header must be 16-128 characters.")
        scoped = f"anonymous\x00{key}".encode()
        key_hash = hashlib.sha256(scoped).hexdigest()
        fingerprint = hashlib.sha256(
            json.dumps(
                {"operation": "tips_create", "body": document}, sort_keys=True, ensure_ascii=False
            ).encode()
        ).hexdigest()
    match = _PROVINCE.match(document["province_code"].strip())
    contact = document["contact"]
    if contact is not None:
        name = (contact["name"] or "").strip() or None
        contact = {
            "name": name,
            "phone": normalize_any_phone(contact["phone"]),
            "email": normalize_email(contact["email"]),
        }
        if not any(contact.values()):
            contact = None
    accused = document["accused"]
    replayed: dict[str, str] | None = None
    outcome: dict[str, str] = {}
    async with POOL.acquire() as conn, conn.transaction():
        # Provinces are read once per process, as the API's ProvinceCache does.
        if match is None or match.group(1) not in await province_codes(conn):
            raise invalid(f"No province has the code '{document['province_code']}'.")
        code = match.group(1)
        now = datetime.now(UTC)
        if key_hash is not None:
            claimed = await conn.fetchval(
                "INSERT INTO idempotency_keys (key_hash, fingerprint, created_at, expires_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (key_hash) DO NOTHING RETURNING key_hash",
                key_hash,
                fingerprint,
                now,
                now + timedelta(hours=24),
            )
            if claimed is None:
                row = await conn.fetchrow(
                    "SELECT fingerprint, outcome, expires_at FROM idempotency_keys"
                    " WHERE key_hash = $1 FOR UPDATE",
                    key_hash,
                )
                if row["expires_at"] <= now or row["outcome"] is None:
                    await conn.execute(
                        "UPDATE idempotency_keys SET fingerprint = $2, outcome = NULL,"
                        " created_at = $3, expires_at = $4 WHERE key_hash = $1",
                        key_hash,
                        fingerprint,
                        now,
                        now + timedelta(hours=24),
                    )
                elif row["fingerprint"] != fingerprint:
                    raise invalid("This Idempotency-Key was already used for a different request.")
                else:
                    sealed = row["outcome"]
                    replayed = json.loads(
                        _idempotency_aead(f"anonymous\x00{key}".encode()).decrypt(
                            sealed[:12], sealed[12:], key_hash.encode()
                        )
                    )
        if replayed is None:
            year = buddhist_year(now)
            sequence = await conn.fetchval(
                "INSERT INTO tip_reference_counters (year, last_seq) VALUES ($1, 1)"
                " ON CONFLICT (year) DO UPDATE SET last_seq = tip_reference_counters.last_seq + 1"
                " RETURNING last_seq",
                year,
            )
            tip_id = uuid.uuid4()
            reference = format_reference(year, sequence)
            ack_due = CONFIG.rules.ack_due(now)
            feedback_due = CONFIG.rules.feedback_due(acknowledged_at=None, ack_due_at=ack_due)
            recused = accused is not None and accused["is_provincial_labour_office"]
            receipt = new_receipt()
            aad = f"tip:{tip_id}:"
            amount = document["amount_thb"]
            await conn.execute(
                "INSERT INTO tips (id, reference, province_code, recused_province_code, category,"
                " channel, status, received_at, ack_due_at, feedback_due_at, incident_date,"
                " incident_period_start, incident_period_end, amount_thb, description, accused,"
                " location, contact, receipt_hash, version) VALUES ($1, $2, $3, $4, $5, $6,"
                " 'received', $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1)",
                tip_id,
                reference,
                code,
                code if recused else None,
                document["category"],
                document["channel"],
                now,
                ack_due,
                feedback_due,
                *(
                    None if document[n] is None else date.fromisoformat(document[n])
                    for n in ("incident_date", "incident_period_start", "incident_period_end")
                ),
                None if amount is None else Decimal(amount),
                seal(document["description"].strip(), aad + "description"),
                None
                if accused is None
                else seal(json.dumps(accused, ensure_ascii=False), aad + "accused"),
                seal(document["location"], aad + "location"),
                None
                if contact is None
                else seal(json.dumps(contact, ensure_ascii=False), aad + "contact"),
                CONFIG.keyring.keyed_hash(normalize_receipt(receipt), purpose="receipt"),
            )
            await append_audit(
                conn,
                actor_id="anonymous",
                actor_role=None,
                action="tip.submitted",
                entity_type="tip",
                entity_id=str(tip_id),
                province_code=None if recused else code,
                request_id=None,
                details={
                    "status": "received",
                    "category": document["category"],
                    "channel": document["channel"],
                    "recused": recused,
                    "anonymous": True,
                },
            )
            outcome = {
                "id": str(tip_id),
                "reference": reference,
                "status": "received",
                "ack_due_at": ack_due.isoformat(),
                "feedback_due_at": feedback_due.isoformat(),
                "receipt": receipt,
            }
            if key_hash is not None:
                nonce = os.urandom(12)
                plaintext = json.dumps(outcome, sort_keys=True).encode()
                aead = _idempotency_aead(f"anonymous\x00{key}".encode())
                await conn.execute(
                    "UPDATE idempotency_keys SET outcome = $2 WHERE key_hash = $1",
                    key_hash,
                    nonce + aead.encrypt(nonce, plaintext, key_hash.encode()),
                )
    result = replayed if replayed is not None else outcome
    body = {
        "id": result["id"],
        "reference": result["reference"],
        "status": result["status"],
        "ack_due_at": ts(datetime.fromisoformat(result["ack_due_at"])),
        "feedback_due_at": ts(datetime.fromisoformat(result["feedback_due_at"])),
        "receipt": result.get("receipt"),
    }
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return reply(dumps(body), request_id, status=201, headers=headers)


@endpoint
async def tips_follow_up(request: Request, request_id: str) -> Response:
    # Any caller may follow up with a receipt; the token is still verified when sent.
    claims = claims_of(request)
    try:
        document = json.loads(await request.body())
    except ValueError as exc:
        raise invalid("The body is not JSON.") from exc
    receipt = document.get("receipt") if isinstance(document, dict) else None
    if not isinstance(receipt, str) or len(receipt) > 64 or set(document) != {"receipt"}:
        raise invalid("The body is {'receipt': ...}.")
    digest = CONFIG.keyring.keyed_hash(normalize_receipt(receipt), purpose="receipt")
    client = client_key(request)
    FAILURE_LIMIT.check(client)
    async with POOL.acquire() as conn, conn.transaction():
        caller = await caller_of(conn, claims)
        if caller is not None and caller.role not in OFFICIALS | {"volunteer", "investigator"}:
            raise forbidden(f"The role '{caller.role}' may not follow up on tips.")
        tip = await conn.fetchrow(
            "SELECT id, reference, status, outcome, received_at, ack_due_at, feedback_due_at,"
            " acknowledged_at, first_feedback_at FROM tips WHERE receipt_hash = $1",
            digest,
        )
        if tip is None:
            FAILURE_LIMIT.hit(client)  # wrong receipts count, then 429
            raise not_found("No tip has this receipt.")
        events = await conn.fetch(
            "SELECT at, from_status, to_status, outcome FROM tip_events WHERE tip_id = $1"
            " ORDER BY seq",
            tip["id"],
        )
        messages = await conn.fetch(
            "SELECT id, created_at, author, body FROM tip_messages WHERE tip_id = $1"
            " AND internal IS false ORDER BY seq DESC LIMIT $2",
            tip["id"],
            201,
        )
        disclosed = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM tip_disclosures WHERE tip_id = $1"
            " AND status = 'approved')",
            tip["id"],
        )
        await append_audit(
            conn,
            actor_id="anonymous",
            actor_role=None,
            action="tip.followed_up",
            entity_type="tip",
            entity_id=str(tip["id"]),
            province_code=None,
            request_id=None,
            details={},
        )
    now = datetime.now(UTC)
    shown = list(reversed(messages))
    truncated = len(shown) > 200
    body = {
        "reference": tip["reference"],
        "status": tip["status"],
        "outcome": tip["outcome"],
        "received_at": ts(tip["received_at"]),
        "ack_due_at": ts(tip["ack_due_at"]),
        "ack_status": deadline_status(tip["ack_due_at"], tip["acknowledged_at"], now),
        "feedback_due_at": ts(tip["feedback_due_at"]),
        "feedback_status": deadline_status(tip["feedback_due_at"], tip["first_feedback_at"], now),
        "history": [
            {
                "at": ts(e["at"]),
                "from_status": e["from_status"],
                "to_status": e["to_status"],
                "outcome": e["outcome"],
            }
            for e in events
        ],
        "messages": [
            {
                "id": str(m["id"]),
                "created_at": ts(m["created_at"]),
                "author": m["author"],
                "body": open_sealed(m["body"], f"tip_message:{tip['id']}:{m['id']}:body"),
            }
            for m in (shown[-200:] if truncated else shown)
        ],
        "messages_truncated": truncated,
        "identity_disclosed": disclosed,
    }
    return reply(dumps(body), request_id)


# -- volunteers ----------------------------------------------------------------------------


@endpoint
async def volunteers_list(request: Request, request_id: str) -> Response:
    only_params(request, {"q", "limit", "cursor"})
    limit = page_limit(request)
    claims = claims_of(request)
    conditions: list[str] = []
    args: list[Any] = []
    q = request.query_params.get("q")
    if q is not None:
        if not 1 <= len(q) <= 100:
            raise invalid("q is 1 to 100 characters.")
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        args += [f"%{escaped}%", f"%{escaped}%"]
        conditions.append(
            "(full_name_th ILIKE $1 ESCAPE '\\' OR full_name_en ILIKE $2 ESCAPE '\\')"
        )
    cursor = request.query_params.get("cursor")
    if cursor is not None:
        if len(cursor) > 512:
            raise invalid("The cursor is not valid; start again without it.")
        at, item = decode_time_cursor(cursor)
        args += [at, at, item]
        n = len(args)
        conditions.append(f"(created_at < ${n - 2} OR (created_at = ${n - 1} AND id < ${n}))")
    async with POOL.acquire() as conn:
        caller = require(await caller_of(conn, claims), VOLUNTEER_MANAGERS)
        if caller.role == "provincial_officer":
            args.append(caller.province_code)
            conditions.append(f"province_code = ${len(args)}")
        args.append(limit + 1)
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        rows = await conn.fetch(
            "SELECT id, full_name_th, full_name_en, province_code, district, status,"
            f" trainings_count, applied_at, created_at, duplicate_of FROM volunteers {where}"
            f"ORDER BY created_at DESC, id DESC LIMIT ${len(args)}",
            *args,
        )
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_time_cursor(rows[limit - 1]["created_at"], rows[limit - 1]["id"])
    items = [
        {
            "id": str(r["id"]),
            "full_name_th": r["full_name_th"],
            "full_name_en": r["full_name_en"],
            "province_code": r["province_code"],
            "district": r["district"],
            "status": r["status"],
            "trained": r["trainings_count"] > 0,
            "applied_at": ts(r["applied_at"]),
            "possible_duplicate": r["duplicate_of"] is not None,
        }
        for r in rows[:limit]
    ]
    return reply(dumps({"items": items, "next_cursor": next_cursor}), request_id)


# -- the audit log -------------------------------------------------------------------------

AUDIT_COLUMNS = (
    "seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id, province_code,"
    " request_id, details, prev_hash, hash"
)


def audit_document(row: asyncpg.Record, *, canonical: bool = False) -> dict[str, Any]:
    """An entry as the API shows it, or (`canonical`) with the timestamp as the hash and
    the export write it: always six digits of microseconds."""
    at: datetime = row["occurred_at"]
    return {
        "seq": row["seq"],
        "occurred_at": at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
        if canonical
        else ts(at),
        "actor_id": row["actor_id"],
        "actor_role": row["actor_role"],
        "action": row["action"],
        "entity_type": row["entity_type"],
        "entity_id": row["entity_id"],
        "province_code": row["province_code"],
        "request_id": row["request_id"],
        "details": json.loads(row["details"]),
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }


@endpoint
async def audit_list(request: Request, request_id: str) -> Response:
    only_params(request, {"actor_id", "limit", "cursor"})
    limit = page_limit(request)
    claims = claims_of(request)
    conditions: list[str] = []
    args: list[Any] = []
    actor_id = request.query_params.get("actor_id")
    if actor_id:
        if len(actor_id) > 64 or "\x00" in actor_id:
            raise invalid("actor_id is at most 64 characters.")
        args.append(actor_id)
        conditions.append(f"actor_id = ${len(args)}")
    cursor = request.query_params.get("cursor")
    if cursor is not None:
        try:  # the API's codec: base64url of ["s", seq] (domain/pagination.py)
            parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            kind, number = parts
            if kind != "s" or type(number) is not int or not 0 < number < 2**63:
                raise ValueError(cursor)
        except (ValueError, TypeError) as exc:
            raise invalid("The cursor is not valid; start again without it.") from exc
        args.append(number)
        conditions.append(f"seq < ${len(args)}")
    args.append(limit + 1)
    where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    sql = f"SELECT {AUDIT_COLUMNS} FROM audit_log {where}ORDER BY seq DESC LIMIT ${len(args)}"
    async with POOL.acquire() as conn:
        require(await caller_of(conn, claims), AUDITORS)
        if actor_id:  # custom plans for a filter, in a transaction (SET LOCAL), as the API
            async with conn.transaction():
                await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
                rows = await conn.fetch(sql, *args)
        else:  # the whole log: one statement, as the API
            rows = await conn.fetch(sql, *args)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        raw = json.dumps(["s", rows[-1]["seq"]], separators=(",", ":")).encode()
        next_cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    body = {"items": [audit_document(r) for r in rows], "next_cursor": next_cursor}
    return reply(dumps(body), request_id)


# Verification and export are CPU-bound: the same recipe as above (sorted-key compact JSON),
# written directly for the fixed top-level keys; each distinct details text parsed once
# (entries repeat a few details); the next batch fetched while one is hashed. The API does
# the same (domain/audit/model.py, persistence/audit/repository.py).

_AUDIT_STORED = (
    "seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id, province_code,"
    " request_id, details::text, prev_hash, hash"
)
_esc = json.encoder.encode_basestring
_SORTED = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@lru_cache(maxsize=4096)
def _sorted_details(text: str) -> str:
    return _SORTED(json.loads(text))


@lru_cache(maxsize=4096)
def _compact_details(text: str) -> str:
    return _COMPACT(json.loads(text))


def _jtext(value: str | None) -> str:
    return "null" if value is None else _esc(value)


def _stamp(at: datetime) -> str:
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 - the fastest way
        at.year, at.month, at.day, at.hour, at.minute, at.second, at.microsecond,
    )  # fmt: skip


async def _read_ahead(
    conn: asyncpg.Connection, sql: str, *args: Any
) -> AsyncGenerator[list[Any], None]:
    cursor = await conn.cursor(sql, *args)
    pending = asyncio.ensure_future(cursor.fetch(1000))
    try:
        while rows := await pending:
            pending = asyncio.ensure_future(cursor.fetch(1000))
            await asyncio.sleep(0)
            yield rows
    finally:
        if not pending.done():
            await pending


@endpoint
async def audit_verify(request: Request, request_id: str) -> Response:
    only_params(request, set())
    claims = claims_of(request)
    sha256 = hashlib.sha256
    async with POOL.acquire() as conn, conn.transaction():
        require(await caller_of(conn, claims), AUDITORS)
        to_seq = await conn.fetchval("SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1") or 0
        expected, prev, checked = 1, GENESIS, 0
        last_hash: str | None = None
        broken: tuple[int, str] | None = None
        batches = _read_ahead(
            conn,
            f"SELECT {_AUDIT_STORED} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
            expected,
            to_seq,
        )
        async for rows in batches:
            for row in rows:
                seq, at, actor, role, action, etype, eid, province, rid, details, link, digest = row
                if seq != expected:
                    broken = (expected, f"Entry {expected} is missing (deleted or renumbered).")
                elif link != prev:
                    broken = (seq, f"prev_hash of entry {seq} does not match.")
                else:
                    canonical = (
                        f'{{"action":{_jtext(action)},"actor_id":{_jtext(actor)}'
                        f',"actor_role":{_jtext(role)},"details":{_sorted_details(details)}'
                        f',"entity_id":{_jtext(eid)},"entity_type":{_jtext(etype)}'
                        f',"occurred_at":"{_stamp(at)}","prev_hash":{_jtext(link)}'
                        f',"province_code":{_jtext(province)},"request_id":{_jtext(rid)}'
                        f',"seq":{seq}}}'
                    )
                    if sha256(canonical.encode()).hexdigest() != digest:
                        broken = (
                            seq,
                            f"Entry {seq} was altered: its content does not match its hash.",
                        )
                if broken:
                    break
                checked += 1
                prev = last_hash = digest
                expected = seq + 1
            if broken:
                break
        await batches.aclose()
        if broken is None and expected <= to_seq:
            broken = (expected, f"Entry {expected} is missing (deleted or never written).")
    body = {
        "valid": broken is None,
        "from_seq": 1,
        "to_seq": to_seq,
        "checked": checked,
        "head_hash": last_hash,
        "first_broken_seq": broken[0] if broken else None,
        "reason": broken[1] if broken else None,
    }
    return reply(dumps(body), request_id)


@endpoint
async def audit_export(request: Request, request_id: str) -> Response:
    only_params(request, {"format"})
    if request.query_params.get("format", "ndjson") != "ndjson":
        raise invalid("The reference exports NDJSON only.")
    claims = claims_of(request)
    async with POOL.acquire() as conn, conn.transaction():
        caller = require(await caller_of(conn, claims), AUDITORS)
        exported, _ = await append_audit(
            conn,
            actor_id=str(caller.account_id),
            actor_role=caller.role,
            action="audit.exported",
            entity_type="audit_log",
            entity_id=None,
            province_code=None,
            request_id=request_id,
            details={"format": "ndjson", "filters": {}},
        )
    return StreamingResponse(
        _export_body(exported),
        media_type="application/x-ndjson",
        headers={
            "X-Request-ID": request_id,
            "X-Audit-Export-Seq": str(exported),
            "Content-Disposition": f'attachment; filename="audit-log-{exported}.ndjson"',
            "Cache-Control": "no-store",
        },
    )


async def _export_body(up_to: int) -> AsyncIterator[bytes]:
    async with POOL.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        pending: list[str] = []
        size = 0
        batches = _read_ahead(
            conn, f"SELECT {_AUDIT_STORED} FROM audit_log WHERE seq <= $1 ORDER BY seq", up_to
        )
        try:
            async for rows in batches:
                for seq, at, actor, role, action, etype, eid, province, rid, d, link, h in rows:
                    line = (
                        f'{{"seq":{seq},"occurred_at":"{_stamp(at)}","actor_id":{_jtext(actor)}'
                        f',"actor_role":{_jtext(role)},"action":{_jtext(action)}'
                        f',"entity_type":{_jtext(etype)},"entity_id":{_jtext(eid)}'
                        f',"province_code":{_jtext(province)},"request_id":{_jtext(rid)}'
                        f',"details":{_compact_details(d)},"prev_hash":{_jtext(link)}'
                        f',"hash":{_jtext(h)}}}\n'
                    )
                    pending.append(line)
                    size += len(line)
                if size >= 64 * 1024:
                    yield "".join(pending).encode()
                    pending, size = [], 0
            if pending:
                yield "".join(pending).encode()
        finally:
            await batches.aclose()


# -- signing in ---------------------------------------------------------------------------


@endpoint
async def auth_token(request: Request, request_id: str) -> Response:
    form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    username, password = form.get("username", ""), form.get("password", "")
    if not 1 <= len(username) <= 256 or not 1 <= len(password) <= 1024:
        raise invalid("username and password are required (password at most 1024).")
    if form.get("grant_type", "password") != "password":
        raise invalid("grant_type must be 'password'.")
    normalized = username.strip().lower()
    async with POOL.acquire() as conn, conn.transaction():
        row = None
        if _USERNAME.match(normalized):
            row = await conn.fetchrow(
                "SELECT id, role, province_code, agency_code, is_active, password_hash,"
                " failed_logins, locked_until, token_version FROM accounts"
                " WHERE username = $1 FOR UPDATE",
                normalized,
            )
        now = datetime.now(UTC)
        if row is not None and row["locked_until"] is not None and row["locked_until"] > now:
            raise Problem(429, "too-many-requests", "Too many requests", "The account is locked.")
        if row is None or not row["is_active"] or row["password_hash"] is None:
            # The API also counts the failure per keyed username hash (login_throttles).
            if not _DUMMY_HASH:
                _DUMMY_HASH.append(await asyncio.to_thread(HASHER.hash, secrets.token_urlsafe(32)))
            await asyncio.to_thread(HASHER.verify_and_update, password, _DUMMY_HASH[0])
            raise unauthenticated("The username or password is wrong.")
        matches, new_hash = await asyncio.to_thread(
            HASHER.verify_and_update, password, row["password_hash"]
        )
        account_id: uuid.UUID = row["id"]
        actor = str(account_id)
        if not matches:
            # The API also locks the account after LOGIN_MAX_FAILURES (not exercised here).
            await conn.execute(
                "UPDATE accounts SET failed_logins = failed_logins + 1 WHERE id = $1", account_id
            )
            await append_audit(
                conn,
                actor_id=actor,
                actor_role=row["role"],
                action="auth.login_failed",
                entity_type="account",
                entity_id=actor,
                province_code=row["province_code"],
                request_id=request_id,
                details={"reason": "wrong_password", "failed_logins": row["failed_logins"] + 1},
            )
            raise unauthenticated("The username or password is wrong.")
        await conn.execute(
            "UPDATE accounts SET failed_logins = 0, locked_until = NULL, last_login_at = $2,"
            " password_hash = coalesce($3, password_hash) WHERE id = $1",
            account_id,
            now,
            new_hash,
        )
        refresh = secrets.token_urlsafe(32)
        session_id = uuid.uuid4()  # the refresh-token family, the token's `sid`
        await conn.execute(
            "INSERT INTO refresh_tokens (id, account_id, family_id, parent_id, token_hash,"
            " issued_at, expires_at, session_started_at) VALUES ($1, $2, $3, NULL, $4, $5, $6, $5)",
            uuid.uuid4(),
            account_id,
            session_id,
            hashlib.sha256(refresh.encode()).hexdigest(),
            now,
            # As the service: the earliest of the refresh lifetime and the idle timeout.
            now + min(CONFIG.refresh_ttl, CONFIG.session_idle),
        )
        await append_audit(
            conn,
            actor_id=actor,
            actor_role=row["role"],
            action="auth.login_succeeded",
            entity_type="account",
            entity_id=actor,
            province_code=row["province_code"],
            request_id=request_id,
            details={"rehashed": new_hash is not None},
        )
    issued = datetime.now(UTC)
    token = jwt.encode(
        {
            "sub": actor,
            "role": row["role"],
            "prov": row["province_code"],
            "agency": row["agency_code"],
            "tv": row["token_version"],
            "sid": str(session_id),
            "iat": issued,
            "nbf": issued,
            "exp": issued + CONFIG.access_ttl,
            "jti": uuid.uuid4().hex,
            "iss": CONFIG.issuer,
            "aud": CONFIG.audience,
        },
        CONFIG.jwt_keys[CONFIG.jwt_kid],
        algorithm="HS256",
        headers={"kid": CONFIG.jwt_kid},
    )
    body = {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(CONFIG.access_ttl.total_seconds()),
        "refresh_token": refresh,
    }
    return reply(dumps(body), request_id, headers={"Pragma": "no-cache"})


# -- the application -------------------------------------------------------------------------


async def _reset(connection: asyncpg.Connection) -> None:
    """Nothing beyond what asyncpg's pool always does on release (roll back a transaction
    left open), which is what the API's pool does. asyncpg's default reset also sends
    `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every release: a round
    trip per request the API does not make, and the reference takes no session-level
    locks, listens to nothing and sets nothing beyond a transaction."""


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global CONFIG, POOL, SUBMIT_LIMIT, FAILURE_LIMIT
    CONFIG = Config.from_env()
    SUBMIT_LIMIT = FixedWindow(*CONFIG.submit_budget)
    FAILURE_LIMIT = FixedWindow(*CONFIG.failure_budget)
    # The API's engine: pool_size connections plus as many overflow ones.
    POOL = await asyncpg.create_pool(
        CONFIG.dsn,
        min_size=2,
        max_size=2 * CONFIG.pool_size,
        server_settings={"application_name": "duangta-reference", "timezone": "UTC"},
        reset=_reset,
    )
    try:
        yield
    finally:
        await POOL.close()


app = Starlette(
    routes=[
        Route("/api/v1/provinces/{code}", province),
        Route("/api/v1/tips", tips_list, methods=["GET"]),
        Route("/api/v1/tips", tips_create, methods=["POST"]),
        Route("/api/v1/tips/follow-up", tips_follow_up, methods=["POST"]),
        Route("/api/v1/tips/{tip_id}", tips_get),
        Route("/api/v1/volunteers", volunteers_list),
        Route("/api/v1/audit-log", audit_list),
        Route("/api/v1/audit-log/verify", audit_verify),
        Route("/api/v1/audit-log/export", audit_export),
        Route("/api/v1/auth/token", auth_token, methods=["POST"]),
    ],
    lifespan=lifespan,
)
