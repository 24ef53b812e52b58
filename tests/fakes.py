"""An in-memory unit of work for the fast tier of use-case tests (no database).

It keeps the transaction semantics the use cases rely on: a unit of work works on a copy
of the store and `commit()` publishes it, so anything not committed is gone (as a
rollback would leave it, including a tip reference number taken from the counter).
Repositories return copies, never the stored objects, so a use case that forgets to
`save()` loses its change here as it would with PostgreSQL. What the SQL repositories
keep only as keyed hashes (tip receipts, activation codes) is kept here only as a hash
too, so a test can check that the store never holds the secret.

`InMemoryUnitOfWork` type-checks as `domain.uow.UnitOfWork` (tests/platform/test_in_memory_uow.py).

Only rules that need no SQL are tested this way; queries, locks and constraints are
tested on PostgreSQL (tests/<feature>/test_repository.py and the API tests).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import TypeVar
from uuid import UUID

from domain.accounts.errors import UsernameTaken
from domain.accounts.model import Account
from domain.agencies.errors import AgencyExists
from domain.agencies.model import Agency
from domain.audit.model import (
    GENESIS_HASH,
    AuditAction,
    AuditActor,
    AuditEntry,
    AuditFilter,
    DetailValue,
    StoredEntry,
    next_entry,
    stored_values,
)
from domain.clients.model import ApiClient
from domain.clock import Clock
from domain.idempotency import IdempotencyKey, IdempotencyKeyReused, Outcome
from domain.pagination import Cursor, PageRequest, SeqCursor
from domain.policy import Role
from domain.provinces.model import LabourOffice, Province, Region
from domain.sessions.model import LoginThrottle, RefreshToken
from domain.tips.access import TipVisibility
from domain.tips.deadlines import DeadlineStatus, OverdueKind
from domain.tips.disclosures import DisclosureRequest, DisclosureStatus, DisclosureSummary
from domain.tips.errors import TipLinkExists
from domain.tips.model import LinkedTip, Tip, TipEvent, TipLink, TipMessage, TipSummary
from domain.tips.ports import TipQuery
from domain.volunteers.model import Volunteer
from domain.volunteers.ports import VolunteerFilter, VolunteerSummary

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
    tips: dict[UUID, Tip] = field(default_factory=dict)
    #: Keyed hash of the normalised receipt -> tip id (the receipt itself is never kept).
    tip_receipts: dict[str, UUID] = field(default_factory=dict)
    #: Buddhist Era year -> last reference number given out.
    tip_counters: dict[int, int] = field(default_factory=dict)
    tip_events: list[TipEvent] = field(default_factory=list)  # in insertion (seq) order
    tip_messages: list[TipMessage] = field(default_factory=list)  # in insertion (seq) order
    tip_links: list[TipLink] = field(default_factory=list)
    volunteers: dict[UUID, Volunteer] = field(default_factory=dict)
    #: Volunteer id -> (keyed hash of the normalised activation code, expiry).
    activation_codes: dict[UUID, tuple[str, datetime]] = field(default_factory=dict)
    disclosures: dict[UUID, DisclosureRequest] = field(default_factory=dict)
    #: Which tips each investigator handles (the investigations feature fills it in SQL).
    assigned_tips: dict[UUID, frozenset[UUID]] = field(default_factory=dict)
    agencies: dict[str, Agency] = field(default_factory=dict)
    clients: dict[UUID, ApiClient] = field(default_factory=dict)
    commits: int = 0

    def actions(self) -> list[str]:
        return [entry.action for entry in self.audit]


#: The fakes' stand-in for the KeyRing's keyed hash (HMAC-SHA-256 with a fixed test key).
_HASH_KEY = b"in-memory unit of work, tests only"

T = TypeVar("T")


def keyed_hash(value: str, *, purpose: str) -> str:
    return hmac.new(_HASH_KEY, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def _newest_first(
    rows: Iterable[T], key: Callable[[T], tuple[datetime, UUID]], page: PageRequest[Cursor]
) -> list[T]:
    """Keyset order of every list: (timestamp DESC, id DESC), strictly after `page.after`,
    at most `page.fetch` rows (UUIDs compare as PostgreSQL compares them: by their bytes)."""
    ordered = sorted(rows, key=key, reverse=True)
    if page.after is not None:
        after = (page.after.at, page.after.id)
        ordered = [row for row in ordered if key(row) < after]
    return ordered[: page.fetch]


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

    async def get_signed_in(self, account_id: UUID, session_id: UUID | None) -> Account | None:
        ended = any(
            t.family_id == session_id and t.revoked_at is not None
            for t in self._store.refresh_tokens.values()
        )
        return None if ended else await self.get(account_id)

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

    async def revoke_session(self, account_id: UUID, family_id: UUID, at: datetime) -> int:
        live = [
            t
            for t in self._store.refresh_tokens.values()
            if t.family_id == family_id and t.account_id == account_id and t.revoked_at is None
        ]
        return self._revoke(live, at)

    async def live_sessions(
        self, account_id: UUID, now: datetime, limit: int
    ) -> list[RefreshToken]:
        live = [
            t
            for t in self._store.refresh_tokens.values()
            if t.account_id == account_id
            and t.used_at is None
            and t.revoked_at is None
            and t.expires_at > now
        ]
        live.sort(key=lambda t: (t.issued_at, t.id), reverse=True)
        return copy.deepcopy(live[:limit])


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
        action: AuditAction,
        *,
        entity_type: str | None = None,
        entity_id: object | None = None,
        province_code: str | None = None,
        details: dict[str, DetailValue] | None = None,
    ) -> AuditEntry:
        last = self._store.audit[-1] if self._store.audit else None
        head = (last.seq, last.hash, last.occurred_at) if last else (0, GENESIS_HASH, None)
        entry = next_entry(
            head,
            at=self._clock.now(),
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            province_code=province_code,
            details=details,
        )
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
            AuditAction.viewed(entity_type),
            entity_type=entity_type,
            entity_id=entity_id,
            province_code=province_code,
            details=details,
        )


def _audit_matches(entry: AuditEntry, criteria: AuditFilter) -> bool:
    """The in-Python twin of persistence/audit/repository.py `filtered`."""
    return (
        (criteria.actor_id is None or entry.actor_id == criteria.actor_id)
        and (criteria.action_exact is None or entry.action == criteria.action_exact)
        and (criteria.action_prefix is None or entry.action.startswith(criteria.action_prefix))
        and (criteria.entity_type is None or entry.entity_type == criteria.entity_type)
        and (criteria.entity_id is None or entry.entity_id == criteria.entity_id)
        and (criteria.province_code is None or entry.province_code == criteria.province_code)
        and (criteria.occurred_from is None or entry.occurred_at >= criteria.occurred_from)
        and (criteria.occurred_to is None or entry.occurred_at < criteria.occurred_to)
    )


class FakeAuditReader:
    """Reads the store's chain (entries are frozen, so they are handed out as they are)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def page(self, criteria: AuditFilter, page: PageRequest[SeqCursor]) -> list[AuditEntry]:
        before = page.after.seq if page.after is not None else None
        newest_first = [
            entry
            for entry in reversed(self._store.audit)
            if (before is None or entry.seq < before) and _audit_matches(entry, criteria)
        ]
        return newest_first[: page.fetch]

    async def head(self) -> tuple[int, str] | None:
        last = self._store.audit[-1] if self._store.audit else None
        return (last.seq, last.hash) if last else None

    async def hash_of(self, seq: int) -> str | None:
        return next((e.hash for e in self._store.audit if e.seq == seq), None)

    async def chain(
        self, from_seq: int, to_seq: int, *, batch_size: int
    ) -> AsyncGenerator[list[StoredEntry], None]:
        entries = [stored_values(e) for e in self._store.audit if from_seq <= e.seq <= to_seq]
        for start in range(0, len(entries), batch_size):
            yield entries[start : start + batch_size]

    async def stream(
        self, criteria: AuditFilter, *, up_to_seq: int, batch_size: int
    ) -> AsyncGenerator[list[StoredEntry], None]:
        entries = [
            stored_values(e)
            for e in self._store.audit
            if e.seq <= up_to_seq and _audit_matches(e, criteria)
        ]
        for start in range(0, len(entries), batch_size):
            yield entries[start : start + batch_size]


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


RECEIPT_PURPOSE = "receipt"
ACTIVATION_PURPOSE = "volunteer_activation"


def _tip_visible(tip: Tip, visibility: TipVisibility) -> bool:
    """The in-Python twin of SqlTipRepository._visible (recused tips hidden from their
    province; a volunteer reaches the tips they reported)."""
    if visibility.everything:
        return True
    if visibility.province_code is not None:
        code = visibility.province_code
        return tip.province_code == code and tip.recused_province_code != code
    if visibility.reporter_id is not None:
        return tip.reporter_account_id == visibility.reporter_id
    return False


def _summary(tip: Tip) -> TipSummary:
    return TipSummary(
        id=tip.id,
        reference=tip.reference,
        province_code=tip.province_code,
        category=tip.category,
        status=tip.status,
        channel=tip.channel,
        received_at=tip.received_at,
        ack_due_at=tip.ack_due_at,
        feedback_due_at=tip.feedback_due_at,
        acknowledged_at=tip.acknowledged_at,
        first_feedback_at=tip.first_feedback_at,
    )


def _tip_matches(tip: Tip, query: TipQuery, now: datetime) -> bool:
    summary = _summary(tip)
    overdue = {
        None: True,
        # The domain's definition, which tests/tips/test_repository.py holds the SQL to.
        OverdueKind.ACK: summary.ack_status(now) is DeadlineStatus.OVERDUE,
        OverdueKind.FEEDBACK: summary.feedback_status(now) is DeadlineStatus.OVERDUE,
    }
    return (
        (query.province_code is None or tip.province_code == query.province_code)
        and (query.status is None or tip.status is query.status)
        and (query.category is None or tip.category is query.category)
        and (query.received_from is None or tip.received_at >= query.received_from)
        and (query.received_to is None or tip.received_at < query.received_to)
        and overdue[query.overdue]
    )


class FakeTips:
    """Tips, their history, messages and links. Like SqlTipRepository, `get` and
    `get_by_receipt` do not filter (the use cases ask `can_see`); `links` and `list` do."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def summaries(self, tip_ids: list[UUID]) -> list[TipSummary]:
        return [_summary(self._store.tips[i]) for i in tip_ids if i in self._store.tips]

    async def next_sequence(self, year: int) -> int:
        # Gap-free: the counter lives in the transaction's copy, so a rollback returns it.
        self._store.tip_counters[year] = self._store.tip_counters.get(year, 0) + 1
        return self._store.tip_counters[year]

    def _write_events(self, tip: Tip) -> None:
        self._store.tip_events.extend(tip.new_events)  # frozen: no copy needed
        tip.new_events.clear()  # as the SQL repository does once they are written

    async def add(self, tip: Tip, *, receipt: str | None) -> None:
        assert tip.id not in self._store.tips, "add() of a tip already stored"
        assert all(t.reference != tip.reference for t in self._store.tips.values())
        self._store.tips[tip.id] = replace(copy.deepcopy(tip), new_events=[])
        if receipt is not None:
            digest = keyed_hash(receipt, purpose=RECEIPT_PURPOSE)
            assert digest not in self._store.tip_receipts, "receipt hashes are unique"
            self._store.tip_receipts[digest] = tip.id
        self._write_events(tip)

    async def get(self, tip_id: UUID, *, for_update: bool = False) -> Tip | None:
        return copy.deepcopy(self._store.tips.get(tip_id))

    async def get_by_receipt(self, receipt: str, *, for_update: bool = False) -> Tip | None:
        tip_id = self._store.tip_receipts.get(keyed_hash(receipt, purpose=RECEIPT_PURPOSE))
        return None if tip_id is None else await self.get(tip_id)

    async def save(self, tip: Tip) -> None:
        stored = self._store.tips.get(tip.id)
        if stored is None:
            raise LookupError(f"tip {tip.id} vanished")
        # Only what a tip changes after intake is written back, as SqlTipRepository.save.
        self._store.tips[tip.id] = replace(
            stored,
            province_code=tip.province_code,
            status=tip.status,
            outcome=tip.outcome,
            acknowledged_at=tip.acknowledged_at,
            feedback_due_at=tip.feedback_due_at,
            first_feedback_at=tip.first_feedback_at,
            closed_at=tip.closed_at,
            version=tip.version,
        )
        self._write_events(tip)

    async def history(self, tip_id: UUID) -> list[TipEvent]:
        return [e for e in self._store.tip_events if e.tip_id == tip_id]

    async def add_message(self, message: TipMessage) -> None:
        assert message.tip_id in self._store.tips, "a message needs its tip"
        self._store.tip_messages.append(message)

    async def messages(
        self, tip_id: UUID, *, include_internal: bool, newest: int | None = None
    ) -> list[TipMessage]:
        found = [
            m
            for m in self._store.tip_messages
            if m.tip_id == tip_id and (include_internal or not m.internal)
        ]
        return found if newest is None else found[-newest:] if newest > 0 else []

    async def add_link(self, link: TipLink) -> None:
        pair = {link.tip_id, link.target_id}
        if any({old.tip_id, old.target_id} == pair for old in self._store.tip_links):
            raise TipLinkExists()
        self._store.tip_links.append(link)

    async def links(self, tip_id: UUID, visibility: TipVisibility) -> list[LinkedTip]:
        result: list[LinkedTip] = []
        for outgoing in (True, False):
            found: list[tuple[datetime, UUID, LinkedTip]] = []
            for link in self._store.tip_links:
                this, other = (
                    (link.tip_id, link.target_id) if outgoing else (link.target_id, link.tip_id)
                )
                tip = self._store.tips.get(other)
                if this == tip_id and tip is not None and _tip_visible(tip, visibility):
                    linked = LinkedTip(tip.id, tip.reference, link.kind, outgoing=outgoing)
                    found.append((link.created_at, tip.id, linked))
            result.extend(linked for _, _, linked in sorted(found, key=lambda f: f[:2]))
        return result

    async def list(
        self,
        query: TipQuery,
        visibility: TipVisibility,
        *,
        page: PageRequest[Cursor],
        now: datetime,
    ) -> list[TipSummary]:
        rows = (
            _summary(tip)
            for tip in self._store.tips.values()
            if _tip_visible(tip, visibility) and _tip_matches(tip, query, now)
        )
        return _newest_first(rows, lambda s: (s.received_at, s.id), page)


def _volunteer_matches(
    volunteer: Volunteer, criteria: VolunteerFilter, only_province: str | None
) -> bool:
    needle = (criteria.name or "").casefold()
    names = (volunteer.full_name_th, volunteer.full_name_en or "")
    return (
        (only_province is None or volunteer.province_code == only_province)
        and (criteria.province_code is None or volunteer.province_code == criteria.province_code)
        and (criteria.status is None or volunteer.status is criteria.status)
        and (criteria.trained is None or volunteer.trained is criteria.trained)
        # ILIKE '%name%' on either name (a substring, any case).
        and (not needle or any(needle in name.casefold() for name in names))
    )


def _volunteer_summary(volunteer: Volunteer) -> VolunteerSummary:
    return VolunteerSummary(
        id=volunteer.id,
        full_name_th=volunteer.full_name_th,
        full_name_en=volunteer.full_name_en,
        province_code=volunteer.province_code,
        district=volunteer.district,
        status=volunteer.status,
        trained=volunteer.trained,
        applied_at=volunteer.applied_at,
        created_at=volunteer.created_at,
        possible_duplicate=volunteer.duplicate_of is not None,
    )


class FakeVolunteers:
    """The registry; several volunteers may hold one national ID (an erased one holds
    none); a later one is flagged `duplicate_of` by the use case."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, volunteer: Volunteer) -> None:
        assert volunteer.id not in self._store.volunteers, "add() of a volunteer already stored"
        self._store.volunteers[volunteer.id] = copy.deepcopy(volunteer)

    async def holder_of_national_id(self, national_id: str) -> UUID | None:
        holders = [v for v in self._store.volunteers.values() if v.national_id == national_id]
        earliest = min(holders, key=lambda v: (v.created_at, str(v.id)), default=None)
        return None if earliest is None else earliest.id

    async def get(self, volunteer_id: UUID, *, for_update: bool = False) -> Volunteer | None:
        return copy.deepcopy(self._store.volunteers.get(volunteer_id))

    async def get_by_account(
        self, account_id: UUID, *, for_update: bool = False
    ) -> Volunteer | None:
        found = (v for v in self._store.volunteers.values() if v.account_id == account_id)
        return copy.deepcopy(next(found, None))

    async def save(self, volunteer: Volunteer) -> None:
        if volunteer.id not in self._store.volunteers:
            raise LookupError(f"volunteer {volunteer.id} vanished")
        others = (v for v in self._store.volunteers.values() if v.id != volunteer.id)
        assert volunteer.account_id is None or all(
            v.account_id != volunteer.account_id for v in others
        ), "one volunteer per account"
        self._store.volunteers[volunteer.id] = copy.deepcopy(volunteer)

    async def list(
        self, criteria: VolunteerFilter, *, only_province: str | None, page: PageRequest[Cursor]
    ) -> list[VolunteerSummary]:
        rows = (
            _volunteer_summary(v)
            for v in self._store.volunteers.values()
            if _volunteer_matches(v, criteria, only_province)
        )
        return _newest_first(rows, lambda s: (s.created_at, s.id), page)

    async def store_activation_code(
        self, volunteer_id: UUID, code: str, *, expires_at: datetime
    ) -> None:
        if volunteer_id not in self._store.volunteers:
            raise LookupError(f"volunteer {volunteer_id} vanished")
        digest = keyed_hash(code, purpose=ACTIVATION_PURPOSE)
        self._store.activation_codes[volunteer_id] = (digest, expires_at)

    async def find_by_activation_code(self, code: str, *, now: datetime) -> Volunteer | None:
        digest = keyed_hash(code, purpose=ACTIVATION_PURPOSE)
        for volunteer_id, (stored, expires_at) in self._store.activation_codes.items():
            if hmac.compare_digest(stored, digest) and expires_at > now:
                return await self.get(volunteer_id)
        return None

    async def clear_activation_code(self, volunteer_id: UUID) -> None:
        self._store.activation_codes.pop(volunteer_id, None)


class FakeDisclosures:
    """Requests to disclose a reporter's identity (the identity vault)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, request: DisclosureRequest) -> None:
        self._store.disclosures[request.id] = copy.deepcopy(request)

    async def get(self, request_id: UUID, *, for_update: bool = False) -> DisclosureRequest | None:
        return copy.deepcopy(self._store.disclosures.get(request_id))

    async def save(self, request: DisclosureRequest) -> None:
        assert request.id in self._store.disclosures, "save() of a request never added"
        self._store.disclosures[request.id] = copy.deepcopy(request)

    async def approved_for(self, tip_id: UUID, account_id: UUID) -> DisclosureRequest | None:
        approved = [
            r
            for r in self._store.disclosures.values()
            if r.tip_id == tip_id
            and r.requested_by == account_id
            and r.status is DisclosureStatus.APPROVED
        ]
        newest = max(approved, key=lambda r: r.requested_at, default=None)
        return copy.deepcopy(newest)

    async def any_approved(self, tip_id: UUID) -> bool:
        return any(
            r.tip_id == tip_id and r.status is DisclosureStatus.APPROVED
            for r in self._store.disclosures.values()
        )

    async def list(
        self,
        *,
        status: DisclosureStatus | None,
        requested_by: UUID | None,
        page: PageRequest[Cursor],
    ) -> list[DisclosureSummary]:
        rows = sorted(
            self._store.disclosures.values(),
            key=lambda r: (r.requested_at, r.id),
            reverse=True,
        )
        after = (page.after.at, page.after.id) if page.after else None
        kept = [
            r
            for r in rows
            if (status is None or r.status is status)
            and (requested_by is None or r.requested_by == requested_by)
            and (after is None or (r.requested_at, r.id) < after)
        ]
        return [
            DisclosureSummary(
                id=r.id,
                tip_id=r.tip_id,
                requested_by=r.requested_by,
                requester_role=r.requester_role,
                status=r.status,
                requested_at=r.requested_at,
                decided_at=r.decided_at,
            )
            for r in kept[: page.fetch]
        ]


class FakeAssignedTips:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def tip_ids_assigned_to(self, account_id: UUID) -> frozenset[UUID]:
        return self._store.assigned_tips.get(account_id, frozenset())


class FakeAgencies:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, code: str, *, for_update: bool = False) -> Agency | None:
        return copy.deepcopy(self._store.agencies.get(code))

    async def add(self, agency: Agency) -> None:
        if agency.code in self._store.agencies:
            raise AgencyExists(agency.code)
        self._store.agencies[agency.code] = copy.deepcopy(agency)

    async def save(self, agency: Agency) -> None:
        assert agency.code in self._store.agencies, "save() of an agency never added"
        self._store.agencies[agency.code] = copy.deepcopy(agency)

    async def list(self, *, active: bool | None = None) -> list[Agency]:
        return [
            copy.deepcopy(a)
            for code, a in sorted(self._store.agencies.items())
            if active is None or a.is_active is active
        ]


class FakeClients:
    def __init__(self, store: Store) -> None:
        self._store = store

    def secret_digest(self, secret: str) -> str:
        return keyed_hash(secret, purpose="client_secret")

    async def add(self, client: ApiClient) -> None:
        self._store.clients[client.id] = copy.deepcopy(client)

    async def get(self, client_id: UUID, *, for_update: bool = False) -> ApiClient | None:
        return copy.deepcopy(self._store.clients.get(client_id))

    async def save(self, client: ApiClient) -> None:
        assert client.id in self._store.clients, "save() of a client never added"
        self._store.clients[client.id] = copy.deepcopy(client)

    async def list(
        self,
        *,
        agency_code: str | None = None,
        active: bool | None = None,
        page: PageRequest[Cursor],
    ) -> list[ApiClient]:
        chosen = (
            copy.deepcopy(c)
            for c in self._store.clients.values()
            if (agency_code is None or c.agency_code == agency_code)
            and (active is None or c.is_active is active)
        )
        return _newest_first(chosen, lambda c: (c.created_at, c.id), page)


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
        self.audit_reader = FakeAuditReader(self._working)
        self.idempotency = FakeIdempotency(self._working)
        self.tips = FakeTips(self._working)
        self.volunteers = FakeVolunteers(self._working)
        self.disclosures = FakeDisclosures(self._working)
        self.assigned_tips = FakeAssignedTips(self._working)
        self.agencies = FakeAgencies(self._working)
        self.clients = FakeClients(self._working)

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
