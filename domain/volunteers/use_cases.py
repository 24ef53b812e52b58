"""Use cases of the volunteer registry: one transaction and one commit each.

Audit details carry ids, statuses, province codes, field names and counts only: never
names, contact data, the national ID, activation codes or the free-text reasons (those
live in the status history, which erasure clears).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from domain import policy
from domain.accounts.errors import UsernameTaken
from domain.accounts.model import Account, check_password_rules, normalize_username
from domain.accounts.ports import PasswordHasher
from domain.audit.model import AuditAction, AuditActor, DetailValue
from domain.concurrency import VersionMatch, require_version
from domain.errors import InvalidInput
from domain.idempotency import IdempotencyKey, Outcome
from domain.pagination import Cursor, Page, PageRequest, paginate
from domain.policy import Action, Principal, RecordScope, Role, Scope
from domain.volunteers.errors import (
    ActivationCodeInvalid,
    NoVolunteerProfile,
    VolunteerErased,
    VolunteerNotFound,
)
from domain.volunteers.identity import (
    BANGKOK,
    check_date_of_birth,
    clean_text,
    normalize_email,
    normalize_full_name_en,
    normalize_full_name_th,
    normalize_national_id,
    normalize_phone,
)
from domain.volunteers.model import VOLUNTEER_WORKFLOW, Training, Transition, Volunteer
from domain.volunteers.ports import VolunteerFilter, VolunteerSummary, VolunteersUnitOfWork

ENTITY = "volunteer"


# -- application -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VolunteerApplication:
    """The public application form, as received (validated by `apply_to_volunteer`)."""

    full_name_th: str
    national_id: str
    date_of_birth: date
    phone: str
    province_code: str
    full_name_en: str | None = None
    email: str | None = None
    district: str | None = None
    occupation: str | None = None


@dataclass(frozen=True, slots=True)
class ApplicationReceipt:
    """What the applicant is told: no personal data beyond the masked ID."""

    id: UUID
    status: str
    province_code: str
    national_id_masked: str | None
    replayed: bool = False

    def outcome(self) -> Outcome:
        return {
            "id": str(self.id),
            "status": self.status,
            "province_code": self.province_code,
            "national_id_masked": self.national_id_masked or "",
        }

    @classmethod
    def from_outcome(cls, outcome: Outcome) -> ApplicationReceipt:
        return cls(
            id=UUID(outcome["id"]),
            status=outcome["status"],
            province_code=outcome["province_code"],
            national_id_masked=outcome["national_id_masked"] or None,
            replayed=True,
        )


async def _audit(
    uow: VolunteersUnitOfWork,
    actor: Principal | None,
    volunteer: Volunteer,
    action: AuditAction,
    details: dict[str, DetailValue] | None = None,
) -> None:
    """An entry about one volunteer, by the caller (ids, statuses and counts only)."""
    await uow.audit.record(
        AuditActor.of(actor),
        action,
        entity_type=ENTITY,
        entity_id=volunteer.id,
        province_code=volunteer.province_code,
        details=details,
    )


async def _check_province(uow: VolunteersUnitOfWork, code: str) -> str:
    if not await uow.provinces.exists(code):
        raise InvalidInput(f"No province has the code '{code}'.")
    return code


async def apply_to_volunteer(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    application: VolunteerApplication,
    idempotency_key: IdempotencyKey | None = None,
) -> ApplicationReceipt:
    """Register an application (public); a retry with the same Idempotency-Key replays.

    Every well-formed application is registered and answered alike; one whose national
    ID is already held by another volunteer carries `duplicate_of` for officers."""
    policy.require(actor, Action.VOLUNTEER_APPLY)
    now = uow.clock.now()
    if idempotency_key is not None:
        stored = await uow.idempotency.claim(idempotency_key, now=now)
        if stored is not None:
            return ApplicationReceipt.from_outcome(stored)
    national_id = normalize_national_id(application.national_id)
    volunteer = Volunteer.apply(
        full_name_th=normalize_full_name_th(application.full_name_th),
        full_name_en=normalize_full_name_en(application.full_name_en),
        national_id=national_id,
        date_of_birth=check_date_of_birth(application.date_of_birth, now=now),
        phone=normalize_phone(application.phone),
        email=normalize_email(application.email),
        province_code=await _check_province(uow, application.province_code),
        district=clean_text(application.district, field="district", max_length=100),
        occupation=clean_text(application.occupation, field="occupation", max_length=200),
        now=now,
        actor_id=AuditActor.of(actor).id,
    )
    # No oracle: a national ID already registered is flagged for officers, and the
    # applicant gets the same answer, after the same work, as anyone else.
    volunteer.duplicate_of = await uow.volunteers.holder_of_national_id(national_id)
    await uow.volunteers.add(volunteer)
    await _audit(
        uow,
        actor,
        volunteer,
        AuditAction.VOLUNTEER_APPLIED,
        {
            "status": volunteer.status.value,
            "possible_duplicate": volunteer.duplicate_of is not None,
        },
    )
    receipt = ApplicationReceipt(
        id=volunteer.id,
        status=volunteer.status.value,
        province_code=volunteer.province_code,
        national_id_masked=volunteer.national_id_masked,
    )
    if idempotency_key is not None:
        await uow.idempotency.complete(idempotency_key, receipt.outcome(), now=now)
    await uow.commit()
    return receipt


# -- reading -----------------------------------------------------------------------------


def sees_full_national_id(actor: Principal | None) -> bool:
    """Only admins see the full national ID of others (and each read is audited)."""
    return actor is not None and actor.role is Role.ADMIN


def _record_scope(volunteer: Volunteer) -> RecordScope:
    return RecordScope(province_code=volunteer.province_code, owner_id=volunteer.account_id)


async def _load(
    uow: VolunteersUnitOfWork,
    actor: Principal | None,
    action: Action,
    volunteer_id: UUID,
    *,
    for_update: bool = False,
) -> Volunteer:
    """The volunteer, if the caller's scope for the action reaches it; else 404."""
    policy.require(actor, action)
    volunteer = await uow.volunteers.get(volunteer_id, for_update=for_update)
    if volunteer is None or not policy.can_access(actor, action, _record_scope(volunteer)):
        raise VolunteerNotFound(volunteer_id)
    return volunteer


@dataclass(frozen=True, slots=True)
class VolunteerView:
    volunteer: Volunteer
    national_id_revealed: bool


async def get_volunteer(
    uow: VolunteersUnitOfWork, *, actor: Principal | None, volunteer_id: UUID
) -> VolunteerView:
    """One volunteer in full; the national ID unmasked for admins (audited as a view)."""
    volunteer = await _load(uow, actor, Action.VOLUNTEER_READ, volunteer_id)
    reveal = sees_full_national_id(actor) and volunteer.national_id is not None
    if reveal:
        await uow.audit.viewed(
            AuditActor.of(actor),
            ENTITY,
            volunteer.id,
            province_code=volunteer.province_code,
            fields=["national_id"],
        )
        await uow.commit()
    return VolunteerView(volunteer, reveal)


async def list_volunteers(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    criteria: VolunteerFilter,
    page: PageRequest[Cursor],
) -> Page[VolunteerSummary]:
    """Newest first; provincial officers see their own province only."""
    scope = policy.require(actor, Action.VOLUNTEER_LIST)
    only_province: str | None = None
    if scope is Scope.PROVINCE:
        if actor is None or actor.province_code is None:
            return Page([])
        only_province = actor.province_code
    elif scope is not Scope.ALL:  # pragma: no cover - no role lists with OWN scope
        return Page([])
    rows = await uow.volunteers.list(criteria, only_province=only_province, page=page)
    return paginate(rows, page, key=lambda item: Cursor(item.created_at, item.id))


# -- changes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VolunteerChanges:
    """A partial update: only the names in `fields` were sent (null clears optional ones)."""

    fields: frozenset[str]
    full_name_th: str | None = None
    full_name_en: str | None = None
    date_of_birth: date | None = None
    phone: str | None = None
    email: str | None = None
    district: str | None = None
    occupation: str | None = None
    province_code: str | None = None


#: What a volunteer may change about themselves.
SELF_EDITABLE = frozenset({"full_name_en", "phone", "email", "district", "occupation"})
OFFICER_EDITABLE = SELF_EDITABLE | {"full_name_th", "date_of_birth", "province_code"}


def check_version(volunteer: Volunteer, expected_version: VersionMatch | None) -> None:
    require_version("volunteer", volunteer.version, expected_version)


def _required(value: object, name: str) -> object:
    if value is None:
        raise InvalidInput(f"'{name}' cannot be null.")
    return value


async def _apply_changes(
    uow: VolunteersUnitOfWork,
    volunteer: Volunteer,
    changes: VolunteerChanges,
    allowed: frozenset[str],
) -> list[str]:
    """Validate and apply; return the names of fields whose value actually changed."""
    unknown = changes.fields - allowed
    if unknown:
        raise InvalidInput(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    now = uow.clock.now()
    new: dict[str, object] = {}
    if "full_name_th" in changes.fields:
        new["full_name_th"] = normalize_full_name_th(
            str(_required(changes.full_name_th, "full_name_th"))
        )
    if "full_name_en" in changes.fields:
        new["full_name_en"] = normalize_full_name_en(changes.full_name_en)
    if "date_of_birth" in changes.fields:
        born = _required(changes.date_of_birth, "date_of_birth")
        assert isinstance(born, date)
        new["date_of_birth"] = check_date_of_birth(born, now=now)
    if "phone" in changes.fields:
        new["phone"] = normalize_phone(str(_required(changes.phone, "phone")))
    if "email" in changes.fields:
        new["email"] = normalize_email(changes.email)
    if "district" in changes.fields:
        new["district"] = clean_text(changes.district, field="district", max_length=100)
    if "occupation" in changes.fields:
        new["occupation"] = clean_text(changes.occupation, field="occupation", max_length=200)
    if "province_code" in changes.fields:
        code = str(_required(changes.province_code, "province_code"))
        new["province_code"] = await _check_province(uow, code)
    changed = [name for name, value in new.items() if getattr(volunteer, name) != value]
    for name in changed:
        setattr(volunteer, name, new[name])
    return changed


async def update_volunteer(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    volunteer_id: UUID,
    changes: VolunteerChanges,
    expected_version: VersionMatch | None,
) -> Volunteer:
    """Officers correct a volunteer's data; moving province is for admin / central only."""
    volunteer = await _load(uow, actor, Action.VOLUNTEER_UPDATE, volunteer_id, for_update=True)
    check_version(volunteer, expected_version)
    if volunteer.erased:
        raise VolunteerErased()
    old_province = volunteer.province_code
    moving = (
        "province_code" in changes.fields
        and changes.province_code is not None
        and changes.province_code != old_province
    )
    if moving:
        policy.require(actor, Action.VOLUNTEER_MOVE)  # 403 for provincial officers
    changed = await _apply_changes(uow, volunteer, changes, OFFICER_EDITABLE)
    if not changed:
        return volunteer
    volunteer.touch(uow.clock.now())
    await _sync_account(uow, actor, volunteer)
    await uow.volunteers.save(volunteer)
    audit_actor = AuditActor.of(actor)
    details_fields: list[DetailValue] = [name for name in changed if name != "province_code"]
    if details_fields:
        await uow.audit.record(
            audit_actor,
            AuditAction.VOLUNTEER_UPDATED,
            entity_type=ENTITY,
            entity_id=volunteer.id,
            province_code=volunteer.province_code,
            details={"fields": details_fields, "version": volunteer.version},
        )
    if "province_code" in changed:
        await uow.audit.record(
            audit_actor,
            AuditAction.VOLUNTEER_MOVED,
            entity_type=ENTITY,
            entity_id=volunteer.id,
            province_code=volunteer.province_code,
            details={"from_province": old_province, "to_province": volunteer.province_code},
        )
    await uow.commit()
    return volunteer


async def _sync_account(
    uow: VolunteersUnitOfWork, actor: Principal | None, volunteer: Volunteer
) -> None:
    """Keep the linked account's province, name and activity in step with the volunteer.

    A suspended or retired volunteer's account is deactivated (its tokens are refused at
    once, see api/deps.py); reinstatement reactivates it. Moving province moves the
    account too, which also invalidates tokens that carry the old province. Account
    changes are audited as the users API audits them (`user.*`, entity `account`).
    """
    if volunteer.account_id is None:
        return
    # Row-locked and read fresh: a concurrent sign-in's changes must not be overwritten.
    account = await uow.accounts.get_for_update_by_id(volunteer.account_id)
    if account is None:  # pragma: no cover - accounts are never deleted
        return
    active = volunteer.status.value == "active"
    before = (account.province_code, account.display_name, account.is_active)
    wanted = (volunteer.province_code, volunteer.full_name_th, active)
    if before == wanted:
        return
    account.province_code, account.display_name, account.is_active = wanted
    if before[0] != wanted[0] or (before[2] and not active):
        account.revoke_tokens()  # moved or deactivated: every access token issued so far dies
    account.updated_at = uow.clock.now()
    account.version += 1
    await uow.accounts.save(account)
    link: dict[str, DetailValue] = {"volunteer_id": str(volunteer.id)}
    if before[2] != active:
        await uow.audit.record(
            AuditActor.of(actor),
            AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED,
            entity_type="account",
            entity_id=account.id,
            province_code=account.province_code,
            details=link,
        )
    changed: list[DetailValue] = [
        field_name
        for field_name, old, new in zip(
            ("province_code", "display_name"), before, wanted, strict=False
        )
        if old != new
    ]
    if changed:
        await uow.audit.record(
            AuditActor.of(actor),
            AuditAction.USER_UPDATED,
            entity_type="account",
            entity_id=account.id,
            province_code=account.province_code,
            details={"fields": changed, **link},
        )


# -- lifecycle ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Approval:
    volunteer: Volunteer
    activation_code: str  # shown once (or to a retry with the same Idempotency-Key)
    activation_expires_at: datetime
    replayed: bool = False


def new_activation_code() -> str:
    """120 random bits as 24 base32 characters in groups of four: 'ABCD-EFGH-...'."""
    raw = base64.b32encode(secrets.token_bytes(15)).decode()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalize_activation_code(raw: str) -> str:
    return "".join(raw.split()).replace("-", "").upper()


async def _transition(
    uow: VolunteersUnitOfWork,
    actor: Principal | None,
    volunteer_id: UUID,
    transition: Transition,
    reason: str,
    details: dict[str, DetailValue] | None = None,
) -> Volunteer:
    """Load (row-locked), check the caller and the move against the workflow table, apply
    it and record its audit entry; the caller saves and commits."""
    move = VOLUNTEER_WORKFLOW[transition]
    volunteer = await _load(uow, actor, move.action, volunteer_id, for_update=True)
    if volunteer.account_id is not None:
        # Suspend/reinstate/retire change the account too: lock it now, before the audit
        # entry below takes the audit lock (lock order: domain/accounts.py).
        await uow.accounts.get_for_update_by_id(volunteer.account_id)
    before = volunteer.status
    volunteer.transition(
        transition, reason=reason, actor_id=AuditActor.of(actor).id, now=uow.clock.now()
    )
    await uow.audit.record(
        AuditActor.of(actor),
        move.audit_action,
        entity_type=ENTITY,
        entity_id=volunteer.id,
        province_code=volunteer.province_code,
        details={
            "from_status": before.value,
            "to_status": volunteer.status.value,
            **(details or {}),
        },
    )
    return volunteer


async def approve_volunteer(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    volunteer_id: UUID,
    reason: str,
    activation_ttl: timedelta,
    idempotency_key: IdempotencyKey | None = None,
) -> Approval:
    """Approve an application: create the volunteer's account and a one-time activation code.

    The code is stored only as a keyed hash, so a lost response would lose it: with an
    Idempotency-Key, a retry gets the same code back (the stored outcome is sealed under
    the client's key) instead of a 409.
    """
    now = uow.clock.now()
    if idempotency_key is not None:
        stored = await uow.idempotency.claim(idempotency_key, now=now)
        if stored is not None:
            current = await _load(uow, actor, Action.VOLUNTEER_APPROVE, UUID(stored["id"]))
            return Approval(
                current,
                stored["activation_code"],
                datetime.fromisoformat(stored["activation_expires_at"]),
                replayed=True,
            )
    volunteer = await _transition(uow, actor, volunteer_id, Transition.APPROVE, reason)
    account: Account | None = None
    for _ in range(5):  # a clash of 32 random bits is rare; never loop forever
        candidate = Account.new(
            username=f"v-{secrets.token_hex(4)}",
            display_name=volunteer.full_name_th,
            role=Role.VOLUNTEER,
            password_hash=None,
            now=now,
            province_code=volunteer.province_code,
        )
        try:
            await uow.accounts.add(candidate)
        except UsernameTaken:
            continue
        account = candidate
        break
    if account is None:  # pragma: no cover
        raise RuntimeError("could not allocate a provisional username")
    volunteer.account_id = account.id
    code = new_activation_code()
    expires_at = now + activation_ttl
    await uow.volunteers.save(volunteer)
    await uow.volunteers.store_activation_code(
        volunteer.id, normalize_activation_code(code), expires_at=expires_at
    )
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.USER_CREATED,
        entity_type="account",
        entity_id=account.id,
        province_code=account.province_code,
        details={
            "role": account.role.value,
            "forced_change": False,
            "volunteer_id": str(volunteer.id),
        },
    )
    if idempotency_key is not None:
        outcome: Outcome = {
            "id": str(volunteer.id),
            "activation_code": code,
            "activation_expires_at": expires_at.isoformat(),
        }
        await uow.idempotency.complete(idempotency_key, outcome, now=now)
    await uow.commit()
    return Approval(volunteer, code, expires_at)


#: The moves that take nothing but a reason: one use case (`change_status`) and one route
#: each (api/volunteers/routes.py). Approval (account, activation code) and retirement
#: (erasure) have their own.
SIMPLE_MOVES: tuple[Transition, ...] = (Transition.REJECT, Transition.SUSPEND, Transition.REINSTATE)


async def change_status(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    volunteer_id: UUID,
    move: Transition,
    reason: str,
) -> Volunteer:
    """Reject an application, suspend an active volunteer or reinstate a suspended one.

    The linked account follows the status: deactivated on suspension, reactivated on
    reinstatement (an applicant has no account yet).
    """
    if move not in SIMPLE_MOVES:
        raise ValueError(f"'{move}' is not a simple status move")
    volunteer = await _transition(uow, actor, volunteer_id, move, reason)
    await _sync_account(uow, actor, volunteer)
    await uow.volunteers.save(volunteer)
    await uow.commit()
    return volunteer


async def retire_volunteer(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    volunteer_id: UUID,
    reason: str,
    erase: bool,
) -> Volunteer:
    """Retire a volunteer; with `erase`, irreversibly anonymise their personal data (PDPA)."""
    extra: dict[str, DetailValue] = {"erase": erase}
    volunteer = await _transition(uow, actor, volunteer_id, Transition.RETIRE, reason, extra)
    await _sync_account(uow, actor, volunteer)
    if erase:
        await _erase(uow, actor, volunteer)
    await uow.volunteers.save(volunteer)
    await uow.commit()
    return volunteer


async def erase_volunteer(
    uow: VolunteersUnitOfWork, *, actor: Principal | None, volunteer_id: UUID
) -> Volunteer:
    """Erase the personal data of a volunteer retired earlier, or of a rejected applicant."""
    volunteer = await _load(uow, actor, Action.VOLUNTEER_ERASE, volunteer_id, for_update=True)
    if volunteer.erased:
        raise VolunteerErased()
    await _erase(uow, actor, volunteer)
    await uow.volunteers.save(volunteer)
    await uow.commit()
    return volunteer


async def _erase(uow: VolunteersUnitOfWork, actor: Principal | None, volunteer: Volunteer) -> None:
    volunteer.erase(now=uow.clock.now())  # Conflict unless retired or rejected
    await _erase_account(uow, actor, volunteer)
    await uow.volunteers.clear_activation_code(volunteer.id)
    await _audit(
        uow,
        actor,
        volunteer,
        AuditAction.VOLUNTEER_ERASED,
        {
            "trainings_count": len(volunteer.trainings),
            "history_count": len(volunteer.history),
        },
    )


async def _erase_account(
    uow: VolunteersUnitOfWork, actor: Principal | None, volunteer: Volunteer
) -> None:
    """The account stays (audit entries point at it) but loses name, username and password."""
    if volunteer.account_id is None:
        return
    account = await uow.accounts.get_for_update_by_id(volunteer.account_id)
    if account is None:  # pragma: no cover
        return
    account.username = f"erased-{account.id.hex[:16]}"
    account.display_name = volunteer.full_name_th
    account.email = None
    account.password_hash = None
    account.is_active = False
    account.revoke_tokens()
    account.updated_at = uow.clock.now()
    account.version += 1
    await uow.accounts.save(account)
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.USER_UPDATED,
        entity_type="account",
        entity_id=account.id,
        province_code=account.province_code,
        details={
            "fields": ["username", "display_name", "email", "password"],
            "volunteer_id": str(volunteer.id),
            "erased": True,
        },
    )


# -- training and pledge -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainingInput:
    course_title: str
    held_on: date
    hours: int
    certificate_number: str | None = None
    organiser: str | None = None


async def record_training(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    volunteer_id: UUID,
    training: TrainingInput,
) -> tuple[Volunteer, Training]:
    """Add a training record (course, date, hours, certificate, organiser)."""
    volunteer = await _load(
        uow, actor, Action.VOLUNTEER_TRAINING_RECORD, volunteer_id, for_update=True
    )
    now = uow.clock.now()
    if training.held_on > now.astimezone(BANGKOK).date():
        raise InvalidInput("A training cannot be recorded before it took place.")
    if not 1 <= training.hours <= 1000:
        raise InvalidInput("'hours' must be between 1 and 1000.")
    title = clean_text(training.course_title, field="course_title", max_length=300, required=True)
    assert title is not None
    assert actor is not None
    record = Training(
        id=uuid.uuid4(),
        course_title=title,
        held_on=training.held_on,
        hours=training.hours,
        certificate_number=clean_text(
            training.certificate_number, field="certificate_number", max_length=100
        ),
        organiser=clean_text(training.organiser, field="organiser", max_length=300),
        recorded_at=now,
        recorded_by=actor.account_id,
    )
    volunteer.record_training(record, now=now)
    await uow.volunteers.save(volunteer)
    await _audit(
        uow,
        actor,
        volunteer,
        AuditAction.VOLUNTEER_TRAINING_RECORDED,
        {
            "training_id": str(record.id),
            "hours": record.hours,
            "trainings_count": len(volunteer.trainings),
        },
    )
    await uow.commit()
    return volunteer, record


async def record_pledge(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    volunteer_id: UUID,
    pledged_on: date | None,
) -> Volunteer:
    """Record the volunteer's public pledge (ประกาศเจตนารมณ์); today when no date is given."""
    volunteer = await _load(uow, actor, Action.VOLUNTEER_PLEDGE, volunteer_id, for_update=True)
    now = uow.clock.now()
    today = now.astimezone(BANGKOK).date()
    day = pledged_on or today
    if day > today:
        raise InvalidInput("A pledge cannot be recorded before it took place.")
    volunteer.pledge(on=day, now=now)
    await uow.volunteers.save(volunteer)
    await _audit(
        uow, actor, volunteer, AuditAction.VOLUNTEER_PLEDGED, {"pledged_on": day.isoformat()}
    )
    await uow.commit()
    return volunteer


# -- the volunteer's own profile ---------------------------------------------------------


async def _own(
    uow: VolunteersUnitOfWork, actor: Principal | None, action: Action, *, for_update: bool = False
) -> Volunteer:
    policy.require(actor, action)
    assert actor is not None  # no self action is public
    volunteer = await uow.volunteers.get_by_account(actor.account_id, for_update=for_update)
    if volunteer is None or not policy.can_access(actor, action, _record_scope(volunteer)):
        raise NoVolunteerProfile()
    return volunteer


async def get_own_profile(uow: VolunteersUnitOfWork, *, actor: Principal | None) -> Volunteer:
    """The caller's own volunteer profile (national ID masked)."""
    return await _own(uow, actor, Action.VOLUNTEER_SELF_READ)


async def update_own_profile(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    changes: VolunteerChanges,
    expected_version: VersionMatch | None,
) -> Volunteer:
    """A volunteer updates their own contact details (limited fields)."""
    volunteer = await _own(uow, actor, Action.VOLUNTEER_SELF_UPDATE, for_update=True)
    check_version(volunteer, expected_version)
    changed = await _apply_changes(uow, volunteer, changes, SELF_EDITABLE)
    if not changed:
        return volunteer
    volunteer.touch(uow.clock.now())
    await uow.volunteers.save(volunteer)
    await _audit(
        uow,
        actor,
        volunteer,
        AuditAction.VOLUNTEER_UPDATED,
        {"fields": list(changed), "version": volunteer.version, "self": True},
    )
    await uow.commit()
    return volunteer


@dataclass(frozen=True, slots=True)
class PersonalDataExport:
    volunteer: Volunteer
    account: Account | None
    exported_at: datetime
    notes: list[str] = field(default_factory=list)


async def export_own_data(
    uow: VolunteersUnitOfWork, *, actor: Principal | None
) -> PersonalDataExport:
    """Everything held about the caller as a volunteer (PDPA right of access)."""
    volunteer = await _own(uow, actor, Action.VOLUNTEER_SELF_EXPORT)
    account = await uow.accounts.get(volunteer.account_id) if volunteer.account_id else None
    audit_actor = AuditActor.of(actor)
    await uow.audit.viewed(
        audit_actor,
        ENTITY,
        volunteer.id,
        province_code=volunteer.province_code,
        fields=["national_id", "date_of_birth", "phone", "email"],
    )
    await uow.audit.record(
        audit_actor,
        AuditAction.VOLUNTEER_EXPORTED,
        entity_type=ENTITY,
        entity_id=volunteer.id,
        province_code=volunteer.province_code,
        details={"trainings_count": len(volunteer.trainings)},
    )
    await uow.commit()
    return PersonalDataExport(
        volunteer,
        account,
        uow.clock.now(),
        notes=[
            "The audit log also records when this profile was created, changed and read; "
            "ask your provincial labour office for those entries.",
        ],
    )


# -- activation --------------------------------------------------------------------------


async def activate_account(
    uow: VolunteersUnitOfWork,
    *,
    actor: Principal | None,
    activation_code: str,
    username: str,
    password: str,
    hasher: PasswordHasher,
) -> Account:
    """Use the one-time code from the approval to choose a username and password."""
    policy.require(actor, Action.VOLUNTEER_ACTIVATE)
    wanted = normalize_username(username)  # inputs first: a 422 reveals nothing about codes
    check_password_rules(password)
    now = uow.clock.now()
    volunteer = await uow.volunteers.find_by_activation_code(
        normalize_activation_code(activation_code), now=now
    )
    if volunteer is None or volunteer.account_id is None or volunteer.status.value != "active":
        raise ActivationCodeInvalid()
    account = await uow.accounts.get_for_update_by_id(volunteer.account_id)
    if account is None:  # pragma: no cover
        raise ActivationCodeInvalid()
    if wanted != account.username:
        holder = await uow.accounts.get_by_username(wanted)
        if holder is not None:
            raise UsernameTaken()
        account.username = wanted
    account.password_hash = await hasher.hash(password)
    account.must_change_password = False
    account.is_active = True
    account.updated_at = now
    account.version += 1
    await uow.accounts.save(account)
    await uow.volunteers.clear_activation_code(volunteer.id)
    await uow.audit.record(
        AuditActor(id=str(account.id), role=account.role.value),
        AuditAction.VOLUNTEER_ACTIVATED,
        entity_type=ENTITY,
        entity_id=volunteer.id,
        province_code=volunteer.province_code,
        details={"account_id": str(account.id)},
    )
    await uow.commit()
    return account
