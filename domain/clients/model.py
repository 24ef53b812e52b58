"""API clients: the systems of partner agencies, signing in with OAuth2 client credentials
(RFC 6749 section 4.4) instead of a person's password.

An admin registers a client for one agency with some scopes (`policy.ClientScope`); the
client's secret is shown once and kept only as a SHA-256 digest (by the repository), as
refresh tokens are. A secret is 256 random bits, so a fast hash is enough: nobody can
guess it, offline or online. A slow password hash (Argon2) would only make every token
request, and every flood of wrong ones, cost a third of a second of CPU; a keyed hash
would tie every client secret to DATA_HASH_KEY, so rotating that key would cut every
partner system off.

Rotation issues a new secret and keeps the previous one valid until a given time (two at
once, never more); revocation is immediate and final: the client is looked up on every
request, so its live tokens stop working too.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.audit.model import AuditActor
from domain.errors import InvalidInput
from domain.policy import CLIENT_ACTOR_ROLE, ClientScope, Principal

#: Every secret starts with it, so secret scanners and people recognise one.
SECRET_PREFIX = "dtc_"  # noqa: S105 - a prefix, not a secret
#: Random bytes of a secret (256 bits; 43 URL-safe characters after the prefix).
SECRET_BYTES = 32
#: Longest secret accepted at the token endpoint (longer is a 422, never hashed).
SECRET_MAX_LENGTH = 128
NAME_MAX = 200
#: Longest overlap an admin may give an old secret at a rotation.
MAX_OVERLAP = timedelta(days=30)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def parse_scopes(raw: str | Iterable[str]) -> frozenset[ClientScope]:
    """Scopes from a space-delimited string (RFC 6749 section 3.3) or a list; an unknown
    one is an InvalidInput naming the known ones."""
    names = raw.split() if isinstance(raw, str) else list(raw)
    found: set[ClientScope] = set()
    for name in names:
        try:
            found.add(ClientScope(name))
        except ValueError:
            known = ", ".join(scope.value for scope in ClientScope)
            raise InvalidInput(f"Unknown scope '{name[:40]}': one of {known}.") from None
    return frozenset(found)


def format_scopes(scopes: Iterable[ClientScope]) -> str:
    """Space-delimited, in the order of ClientScope (stable for tokens and answers)."""
    return " ".join(scope.value for scope in ClientScope if scope in set(scopes))


def clean_name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise InvalidInput("The client's name cannot be empty.")
    if len(text) > NAME_MAX:
        raise InvalidInput(f"The client's name may have at most {NAME_MAX} characters.")
    return text


@dataclass(slots=True)
class ApiClient:
    id: UUID
    name: str
    agency_code: str
    scopes: frozenset[ClientScope]
    #: Keyed hash of the current secret (never the secret).
    secret_hash: str
    created_at: datetime
    created_by: UUID | None
    #: The secret before the last rotation, valid until `previous_secret_expires_at`.
    previous_secret_hash: str | None = None
    previous_secret_expires_at: datetime | None = None
    secret_rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    last_authenticated_at: datetime | None = None
    version: int = 1

    @classmethod
    def new(
        cls,
        *,
        name: str,
        agency_code: str,
        scopes: frozenset[ClientScope],
        secret_hash: str,
        actor: Principal | None,
        at: datetime,
    ) -> ApiClient:
        if not scopes:
            raise InvalidInput("A client needs at least one scope.")
        return cls(
            id=uuid.uuid4(),
            name=clean_name(name),
            agency_code=agency_code,
            scopes=scopes,
            secret_hash=secret_hash,
            created_at=at,
            created_by=actor.account_id if actor is not None else None,
        )

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def previous_secret_valid(self, now: datetime) -> bool:
        return (
            self.previous_secret_hash is not None
            and self.previous_secret_expires_at is not None
            and now < self.previous_secret_expires_at
        )

    def accepts(self, digest: str, now: datetime) -> str | None:
        """Which secret the digest matches: `current`, `previous` (during the overlap),
        or None. Both are compared in constant time, whichever matches."""
        current = hmac.compare_digest(digest, self.secret_hash)
        previous = self.previous_secret_hash is not None and hmac.compare_digest(
            digest, self.previous_secret_hash
        )
        if current:
            return "current"
        if previous and self.previous_secret_valid(now):
            return "previous"
        return None

    def rotate(self, secret_hash: str, *, now: datetime, old_valid_until: datetime) -> None:
        """A new current secret; the old one stays valid until `old_valid_until` (not at
        all when that is not later than now). A secret older than that is dropped."""
        if old_valid_until > now + MAX_OVERLAP:
            raise InvalidInput(
                f"The old secret may stay valid for at most {MAX_OVERLAP.days} days."
            )
        if old_valid_until > now:
            self.previous_secret_hash = self.secret_hash
            self.previous_secret_expires_at = old_valid_until
        else:
            self.previous_secret_hash = None
            self.previous_secret_expires_at = None
        self.secret_hash = secret_hash
        self.secret_rotated_at = now
        self.version += 1

    def revoke(self, now: datetime) -> bool:
        """Revoke for good; False when it already was."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = now
        self.previous_secret_hash = None
        self.previous_secret_expires_at = None
        self.version += 1
        return True

    def principal(self, scopes: frozenset[ClientScope] | None = None) -> Principal:
        """The caller this client is, with `scopes` (a subset of its own) or all of them."""
        return Principal.client(
            self.id, agency_code=self.agency_code, scopes=self.scopes if scopes is None else scopes
        )

    def matches(self, claimed: Principal) -> bool:
        """Whether a token's principal still speaks for this client: not revoked, same
        agency, and no scope the client has lost since."""
        return (
            self.is_active
            and claimed.is_client
            and claimed.account_id == self.id
            and claimed.agency_code == self.agency_code
            and claimed.scopes <= self.scopes
        )

    def actor(self) -> AuditActor:
        return AuditActor(id=str(self.id), role=CLIENT_ACTOR_ROLE)
