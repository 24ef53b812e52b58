"""Access tokens: short-lived JWTs signed with PyJWT (HS256), with key rotation by `kid`.

Two kinds, one format: an account's token (`role` one of the roles) and an API client's
token (client credentials grant): `role` is `client`, `sub` and `client_id` the client's
id, `agency` its agency and `scope` the granted scopes, space-delimited (the claims of
RFC 9068).

Decoding always pins the algorithm list (no `alg: none`, no algorithm confusion), requires
every claim we rely on, and checks `exp`, `nbf`, `iat`, `iss` and `aud`. `tv` (the
account's token version) and `sid` (the sign-in session) are compared with the database
on every request (api/deps.py), which is how a token is revoked before it expires.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jwt

from domain.policy import CLIENT_ACTOR_ROLE, ClientScope, Principal, Role

ALGORITHM = "HS256"
#: Claims of every token; an account's token also needs `tv` (checked below).
_REQUIRED = ["exp", "iat", "nbf", "sub", "role", "jti", "iss", "aud"]


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or not meant for us."""


@dataclass(frozen=True, slots=True)
class TokenConfig:
    """Signing keys by key id; `current_kid` signs, every listed key verifies."""

    keys: dict[str, str]
    current_kid: str
    issuer: str
    audience: str
    access_ttl: timedelta = field(default=timedelta(minutes=15))

    def __post_init__(self) -> None:
        if self.current_kid not in self.keys:
            raise ValueError("the current signing key id has no key")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


def issue_access_token(
    config: TokenConfig, principal: Principal, *, now: datetime, not_after: datetime | None = None
) -> IssuedToken:
    """A signed access token for the principal, valid `config.access_ttl` from `now`, or
    until `not_after` (the end of its session) when that comes first."""
    if principal.role is None:
        raise ValueError("an API client's token is issued by issue_client_token")
    jti = uuid.uuid4().hex
    expires_at = now + config.access_ttl
    if not_after is not None and now < not_after < expires_at:
        expires_at = not_after
    claims: dict[str, object] = {
        "sub": str(principal.account_id),
        "role": str(principal.role),
        "prov": principal.province_code,
        "agency": principal.agency_code,
        "tv": principal.token_version,
        "iat": now,
        "nbf": now,
        "exp": expires_at,
        "jti": jti,
        "iss": config.issuer,
        "aud": config.audience,
    }
    if principal.session_id is not None:
        claims["sid"] = str(principal.session_id)
    token = jwt.encode(
        claims,
        config.keys[config.current_kid],
        algorithm=ALGORITHM,
        headers={"kid": config.current_kid},
    )
    return IssuedToken(token=token, jti=jti, expires_at=expires_at)


def issue_client_token(
    config: TokenConfig, principal: Principal, *, now: datetime, ttl: timedelta
) -> IssuedToken:
    """An API client's access token: bound to the client, its agency and its scopes."""
    if not principal.is_client or principal.agency_code is None:
        raise ValueError("a client token needs a client principal with an agency")
    jti = uuid.uuid4().hex
    expires_at = now + ttl
    scopes = " ".join(sorted(scope.value for scope in principal.scopes))
    claims: dict[str, object] = {
        "sub": str(principal.account_id),
        "client_id": str(principal.account_id),
        "role": CLIENT_ACTOR_ROLE,
        "agency": principal.agency_code,
        "scope": scopes,
        "iat": now,
        "nbf": now,
        "exp": expires_at,
        "jti": jti,
        "iss": config.issuer,
        "aud": config.audience,
    }
    token = jwt.encode(
        claims,
        config.keys[config.current_kid],
        algorithm=ALGORITHM,
        headers={"kid": config.current_kid},
    )
    return IssuedToken(token=token, jti=jti, expires_at=expires_at)


def _client_principal(claims: dict[str, object]) -> Principal:
    subject, client_id = claims.get("sub"), claims.get("client_id")
    agency, scope = claims.get("agency"), claims.get("scope")
    if not (
        isinstance(subject, str)
        and subject == client_id
        and isinstance(agency, str)
        and isinstance(scope, str)
    ):
        raise InvalidToken("malformed client token")
    return Principal.client(
        uuid.UUID(subject),
        agency_code=agency,
        scopes=frozenset(ClientScope(name) for name in scope.split()),
    )


def decode_access_token(config: TokenConfig, token: str) -> Principal:
    """Verify the token and return who it speaks for; raise InvalidToken otherwise."""
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        key = config.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("unknown signing key")
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=config.audience,
            issuer=config.issuer,
            options={"require": _REQUIRED},
        )
        if claims["role"] == CLIENT_ACTOR_ROLE:
            return _client_principal(claims)
        prov = claims.get("prov")
        agency = claims.get("agency")
        version = claims.get("tv")
        sid = claims.get("sid")
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidToken("the token version is not an integer")
        return Principal(
            account_id=uuid.UUID(claims["sub"]),
            role=Role(claims["role"]),
            province_code=prov if isinstance(prov, str) else None,
            agency_code=agency if isinstance(agency, str) else None,
            token_version=version,
            session_id=uuid.UUID(sid) if isinstance(sid, str) else None,
        )
    except InvalidToken:
        raise
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
        raise InvalidToken(type(exc).__name__) from exc
