"""An in-memory unit of work for the fast tier of use-case tests (no database).

It keeps the transaction semantics the use cases rely on: a unit of work works on a copy
of the store and `commit()` publishes it, so anything not committed is gone (as a
rollback would leave it). Repositories return copies, never the stored objects, so a use
case that forgets to `save()` loses its change here as it would with PostgreSQL.

Only rules that need no SQL are tested this way; queries, locks and constraints are
tested on PostgreSQL (tests/<feature>/test_repository.py and the API tests).
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from uuid import UUID

from domain.accounts.errors import UsernameTaken
from domain.accounts.model import Account
from domain.audit.model import (
    GENESIS_HASH,
    AuditActor,
    AuditEntry,
    DetailValue,
    check_details,
)
from domain.clock import Clock
from domain.idempotency import IdempotencyKey, IdempotencyKeyReused, Outcome
from domain.pagination import Cursor, PageRequest
from domain.policy import Role
from domain.provinces.model import LabourOffice, Province, Region
from domain.sessions.model import LoginThrottle, RefreshToken

PROVINCES = {
    "10": Province("10", "กรุงเทพมหานคร", "Bangkok", Region.CENTRAL, LabourOffice()),
    "40": Province("40", "ขอนแก่น", "Khon Kaen", Region.NORTHEAST, LabourOffice()),
    "50": Province("50", "เชียงใหม่", "Chiang Mai", Region.NORTH, LabourOffice()),
}


@dataclass
class Store:
    """What the database would hold."""

    accounts: dict[UUID, Account] = field(default_factory=dict)
    refresh_tokens: dict[UUID, RefreshToken] = field(default_factory=dict)
    throttles: dict[str, LoginThrottle] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    idempotency: dict[tuple[str, str], tuple[str, Outcome | None]] = field(default_factory=dict)
    commits: int = 0

    def actions(self) -> list[str]:
        return [entry.action for entry in self.audit]


class FakeProvinces:
    async def list(self, *, region: Region | None = None) -> list[Province]:
        return [p for p in PROVINCES.values() if region is None or p.region is region]

    async def get(self, code: str) -> Province | None:
        return PROVINCES.get(code)

    async def exists(self, code: str) -> bool:
        return code in PROVINCES


class FakeAccounts:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, account: Account) -> None:
        if any(a.username == account.username for a in self._store.accounts.values()):
            raise UsernameTaken()
        self._store.accounts[account.id] = copy.deepcopy(account)

    async def get(self, account_id: UUID) -> Account | None:
        return copy.deepcopy(self._store.accounts.get(account_id))

    async def get_by_username(self, username: str) -> Account | None:
        for account in self._store.accounts.values():
            if account.username == username:
                return copy.deepcopy(account)
        return None

    async def save(self, account: Account) -> None:
        assert account.id in self._store.accounts, "save() of an account never added"
        others = (a for a in self._store.accounts.values() if a.id != account.id)
        if any(a.username == account.username for a in others):
            raise UsernameTaken()
        self._store.accounts[account.id] = copy.deepcopy(account)

    async def count(self) -> int:
        return len(self._store.accounts)

    async def get_for_update(self, username: str) -> Account | None:
        return await self.get_by_username(username)

    async def get_for_update_by_id(self, account_id: UUID) -> Account | None:
        return await self.get(account_id)

    async def list_page(
        self,
        page: PageRequest[Cursor],
        *,
        role: Role | None = None,
        province_code: str | None = None,
        is_active: bool | None = None,
    ) -> list[Account]:
        rows = sorted(
            self._store.accounts.values(), key=lambda a: (a.created_at, a.id), reverse=True
        )
        after = (page.after.at, page.after.id) if page.after else None
        rows = [
            a
            for a in rows
            if (role is None or a.role is role)
            and (province_code is None or a.province_code == province_code)
            and (is_active is None or a.is_active is is_active)
            and (after is None or (a.created_at, a.id) < after)
        ]
        return copy.deepcopy(rows[: page.fetch])


class FakeRefreshTokens:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, token: RefreshToken) -> None:
        self._store.refresh_tokens[token.id] = copy.deepcopy(token)

    async def get_by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        for token in self._store.refresh_tokens.values():
            if token.token_hash == token_hash:
                return copy.deepcopy(token)
        return None

    async def mark_used(self, token_id: UUID, at: datetime) -> None:
        self._store.refresh_tokens[token_id].used_at = at

    def _revoke(self, tokens: list[RefreshToken], at: datetime) -> int:
        for token in tokens:
            token.revoked_at = at
        return len(tokens)

    async def revoke_family(self, family_id: UUID, at: datetime) -> int:
        live = [
            t
            for t in self._store.refresh_tokens.values()
            if t.family_id == family_id and t.revoked_at is None
        ]
        return self._revoke(live, at)

    async def revoke_for_account(self, account_id: UUID, at: datetime) -> int:
        live = [
            t
            for t in self._store.refresh_tokens.values()
            if t.account_id == account_id and t.revoked_at is None and t.expires_at > at
        ]
        return self._revoke(live, at)


class FakeLoginThrottles:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def get_for_update(self, username: str) -> LoginThrottle:
        return copy.deepcopy(self._store.throttles.get(username, LoginThrottle()))

    async def save(self, username: str, throttle: LoginThrottle) -> None:
        self._store.throttles[username] = copy.deepcopy(throttle)


class FakeAuditLog:
    """Appends real, hash-chained entries (the domain's canonical encoding)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def record(
        self,
        actor: AuditActor,
        action: str,
        *,
        entity_type: str | None = None,
        entity_id: object | None = None,
        province_code: str | None = None,
        details: dict[str, DetailValue] | None = None,
    ) -> AuditEntry:
        details = dict(details or {})
        check_details(details)
        last = self._store.audit[-1] if self._store.audit else None
        entry = AuditEntry(
            seq=(last.seq if last else 0) + 1,
            occurred_at=self._clock.now(),
            actor_id=actor.id,
            actor_role=actor.role or None,
            action=action,
            entity_type=entity_type or None,
            entity_id=None if entity_id is None else str(entity_id),
            province_code=province_code or None,
            request_id=None,
            details=details,
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        entry = replace(entry, hash=entry.computed_hash())
        self._store.audit.append(entry)
        return entry

    async def viewed(
        self,
        actor: AuditActor,
        entity_type: str,
        entity_id: object,
        *,
        province_code: str | None = None,
        fields: list[str] | None = None,
    ) -> AuditEntry:
        details: dict[str, DetailValue] = {"fields": list(fields)} if fields else {}
        return await self.record(
            actor,
            f"{entity_type}.viewed",
            entity_type=entity_type,
            entity_id=entity_id,
            province_code=province_code,
            details=details,
        )


class FakeIdempotency:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def claim(self, key: IdempotencyKey, *, now: datetime) -> Outcome | None:
        found = self._store.idempotency.get((key.scope, key.key))
        if found is None:
            self._store.idempotency[(key.scope, key.key)] = (key.fingerprint, None)
            return None
        fingerprint, outcome = found
        if fingerprint != key.fingerprint:
            raise IdempotencyKeyReused()
        return dict(outcome) if outcome is not None else None

    async def complete(self, key: IdempotencyKey, outcome: Outcome, *, now: datetime) -> None:
        self._store.idempotency[(key.scope, key.key)] = (key.fingerprint, dict(outcome))


class InMemoryUnitOfWork:
    """`async with InMemoryUnitOfWork(store, clock) as uow:`; uncommitted work is dropped."""

    request_id: str | None = None

    def __init__(self, store: Store, clock: Clock) -> None:
        self._shared = store
        self.clock = clock

    async def __aenter__(self) -> InMemoryUnitOfWork:
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    def _begin(self) -> None:
        self._working = copy.deepcopy(self._shared)
        self.provinces = FakeProvinces()
        self.accounts = FakeAccounts(self._working)
        self.refresh_tokens = FakeRefreshTokens(self._working)
        self.login_throttles = FakeLoginThrottles(self._working)
        self.audit = FakeAuditLog(self._working, self.clock)
        self.idempotency = FakeIdempotency(self._working)

    async def commit(self) -> None:
        self._working.commits += 1
        self._shared.__dict__.update(copy.deepcopy(self._working).__dict__)
        self._begin()

    async def rollback(self) -> None:
        self._begin()


class FastHasher:
    """A deterministic stand-in for Argon2 (the real one is tested in tests/sessions)."""

    async def hash(self, password: str) -> str:
        return "fake$" + hashlib.sha256(password.encode()).hexdigest()

    async def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        return await self.hash(password) == password_hash, None

    async def verify_dummy(self, password: str) -> None:
        await self.hash(password)
