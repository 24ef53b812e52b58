"""Accounts: creating, listing and changing accounts; the first admin; password changes."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain import policy
from domain.accounts.errors import (
    AccountLocked,
    AccountNotFound,
    NotOwnAccountChange,
    UsernameTaken,
    VolunteerAccountManagedByRegistry,
    WrongCurrentPassword,
)
from domain.accounts.model import (
    PASSWORD_MAX_LENGTH,
    UNSET,
    Account,
    AccountChanges,
    LoginPolicy,
    check_password_rules,
    generate_password,
)
from domain.accounts.ports import AccountsUnitOfWork, PasswordHasher
from domain.agencies.model import normalize_agency_code
from domain.audit.model import SYSTEM, AuditAction, AuditActor, DetailValue
from domain.errors import InvalidInput
from domain.pagination import Cursor, Page, PageRequest, paginate
from domain.policy import Action, Principal, RecordScope, Role
from domain.provinces.model import normalize_province_code


async def record_wrong_password(
    uow: AccountsUnitOfWork, account: Account, rules: LoginPolicy
) -> None:
    """Count a wrong password (sign-in or password change) and commit; at
    `rules.max_failures` consecutive failures lock the account and raise AccountLocked.

    The caller must have read `account` row-locked (`get_for_update*`), or parallel
    failures lose increments and never lock."""
    now = uow.clock.now()
    account.failed_logins += 1
    locked = account.failed_logins >= rules.max_failures
    if locked:
        account.failed_logins = 0
        account.locked_until = now + rules.lockout
        await uow.audit.record(
            account.actor(),
            AuditAction.AUTH_LOCKED,
            entity_type="account",
            entity_id=account.id,
            province_code=account.province_code,
            details={"lockout_seconds": int(rules.lockout.total_seconds())},
        )
    await uow.accounts.save(account)
    await uow.commit()
    if locked:
        raise AccountLocked(int(rules.lockout.total_seconds()))


# ---------------------------------------------------------------------------------------
# Use cases
#
# Lock order (every use case in domain/ that changes rows follows it):
#   1. lock the rows you will change first: an account by `uow.accounts.get_for_update`
#      (username) or `get_for_update_by_id`, a volunteer or tip by `for_update=True`
#      (a volunteer before its account);
#   2. then read, decide and write;
#   3. write the audit entry last: `uow.audit.record` takes the audit chain's advisory
#      lock, which is always the last lock a transaction takes, and is held to the commit.
# Taking the audit lock before a row lock deadlocks against a sign-in (which holds the
# account row and then audits). Reading an account without the lock and saving it back
# overwrites what a concurrent transaction committed meanwhile (failed_logins,
# last_login_at, a rehashed password): never save an account read by plain `get`.


async def _locked_account(uow: AccountsUnitOfWork, account_id: UUID) -> Account:
    account = await uow.accounts.get_for_update_by_id(account_id)
    if account is None:
        raise AccountNotFound(account_id)
    return account


async def _checked_province(uow: AccountsUnitOfWork, raw: str | None) -> str | None:
    if raw is None:
        return None
    code = normalize_province_code(raw)
    if code is None or not await uow.provinces.exists(code):
        raise InvalidInput(f"No province has the code '{raw[:8]}'.")
    return code


async def _checked_agency(uow: AccountsUnitOfWork, raw: str | None) -> str | None:
    """A partner's agency must be in the registry (a typo would give an account that
    sees no referral at all)."""
    if raw is None:
        return None
    code = normalize_agency_code(raw)
    if await uow.agencies.get(code) is None:
        raise InvalidInput(f"No agency in the registry has the code '{code}'.")
    return code


async def create_account(
    uow: AccountsUnitOfWork,
    hasher: PasswordHasher,
    *,
    actor: Principal | None,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    email: str | None = None,
    province_code: str | None = None,
    agency_code: str | None = None,
    must_change_password: bool = False,
) -> Account:
    """Create an account (admin; `actor=None` for the bootstrap and the CLI, audited as system)."""
    if actor is not None:
        policy.require(actor, Action.USER_CREATE)
    if actor is not None and role is Role.VOLUNTEER:
        raise VolunteerAccountManagedByRegistry()
    check_password_rules(password)
    account = Account.new(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=None,
        now=uow.clock.now(),
        email=email,
        province_code=await _checked_province(uow, province_code),
        agency_code=await _checked_agency(uow, agency_code),
        must_change_password=must_change_password,
    )
    account.password_hash = await hasher.hash(password)
    await uow.accounts.add(account)
    await uow.audit.record(
        SYSTEM if actor is None else AuditActor.of(actor),
        AuditAction.USER_CREATED,
        entity_type="account",
        entity_id=account.id,
        province_code=account.province_code,
        details={"role": account.role.value, "forced_change": must_change_password},
    )
    await uow.commit()
    return account


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    account: Account
    #: The generated password (print it once), or None when it came from the settings.
    generated_password: str | None


async def bootstrap_admin(
    uow: AccountsUnitOfWork,
    hasher: PasswordHasher,
    *,
    username: str | None,
    password: str | None,
) -> BootstrapResult | None:
    """With no accounts at all, create the first admin; otherwise do nothing (None).

    With both `username` and `password` that admin is created as given; otherwise `admin`
    with a generated password, which must be changed at the first sign-in.
    """
    if await uow.accounts.count() > 0:
        return None
    generated = None
    if not (username and password):
        username, generated = "admin", generate_password()
        password = generated
    try:
        account = await create_account(
            uow,
            hasher,
            actor=None,
            username=username,
            password=password,
            display_name="Administrator",
            role=Role.ADMIN,
            must_change_password=generated is not None,
        )
    except UsernameTaken:  # another process bootstrapped at the same moment
        return None
    return BootstrapResult(account=account, generated_password=generated)


async def get_account(uow: AccountsUnitOfWork, *, actor: Principal, account_id: UUID) -> Account:
    """One account, as admin or central officer."""
    account = await uow.accounts.get(account_id)
    if account is None or not policy.can_access(
        actor, Action.USER_READ, RecordScope(province_code=account.province_code)
    ):
        raise AccountNotFound(account_id)
    return account


async def get_own_account(uow: AccountsUnitOfWork, *, actor: Principal) -> Account:
    account = await uow.accounts.get(actor.account_id)
    if account is None:  # pragma: no cover - the token check loaded it a moment ago
        raise AccountNotFound(actor.account_id)
    return account


async def list_accounts(
    uow: AccountsUnitOfWork,
    *,
    actor: Principal,
    page: PageRequest[Cursor],
    role: Role | None = None,
    province_code: str | None = None,
    is_active: bool | None = None,
) -> Page[Account]:
    """Accounts newest first, filtered, one bounded page at a time (keyset pagination)."""
    policy.require(actor, Action.USER_LIST)
    province = None
    if province_code is not None:
        province = normalize_province_code(province_code)
        if province is None:
            raise InvalidInput(f"No province has the code '{province_code[:8]}'.")
    rows = await uow.accounts.list_page(
        page, role=role, province_code=province, is_active=is_active
    )
    return paginate(rows, page, key=lambda account: Cursor(account.created_at, account.id))


async def update_account(
    uow: AccountsUnitOfWork, *, actor: Principal, account_id: UUID, changes: AccountChanges
) -> Account:
    """Change an account (admin). A change of role, province or agency, or a deactivation,
    ends its sessions: its refresh tokens are revoked and its token version is bumped, so
    every access token issued before stops working at once (also after a reactivation)."""
    policy.require(actor, Action.USER_UPDATE)
    account = await _locked_account(uow, account_id)
    now = uow.clock.now()
    old_role, old_province, was_active = account.role, account.province_code, account.is_active
    given = changes.given()
    if isinstance(changes.agency_code, str):
        given["agency_code"] = await _checked_agency(uow, changes.agency_code)
    changed = [
        name
        for name in ("display_name", "email", "agency_code")
        if name in given and given[name] != getattr(account, name)
    ]
    for name in changed:
        setattr(account, name, given[name])
    if changes.role is not UNSET:
        account.role = changes.role
    if changes.province_code is not UNSET:
        account.province_code = await _checked_province(uow, changes.province_code)
    if changes.is_active is not UNSET:
        account.is_active = changes.is_active
    if Role.VOLUNTEER in (old_role, account.role) and (
        account.role is not old_role
        or account.province_code != old_province
        or account.is_active != was_active
    ):
        raise VolunteerAccountManagedByRegistry()
    role_changed = account.role is not old_role or account.province_code != old_province
    scope_changed = role_changed or "agency_code" in changed
    deactivated = was_active and not account.is_active
    if account.id == actor.account_id and (deactivated or scope_changed):
        raise NotOwnAccountChange()
    account.check_scope()
    actor_ = AuditActor.of(actor)

    async def audit(action: AuditAction, details: dict[str, DetailValue] | None = None) -> None:
        await uow.audit.record(
            actor_,
            action,
            entity_type="account",
            entity_id=account.id,
            province_code=account.province_code or old_province,
            details=details,
        )

    if role_changed:
        await audit(
            AuditAction.USER_ROLE_CHANGED,
            {
                "from_role": old_role.value,
                "to_role": account.role.value,
                "from_province": old_province,
                "to_province": account.province_code,
            },
        )
    if deactivated:
        await audit(AuditAction.USER_DEACTIVATED)
    elif account.is_active and not was_active:
        account.failed_logins, account.locked_until = 0, None
        await audit(AuditAction.USER_REACTIVATED)
    if changed:
        await audit(AuditAction.USER_UPDATED, {"fields": list(changed)})
    if deactivated or scope_changed:
        # Every token issued before this change stops working: refresh tokens revoked,
        # access tokens refused at their next request (the token version, in this
        # transaction with the change itself).
        account.revoke_tokens()
        revoked = await uow.refresh_tokens.revoke_for_account(account.id, at=now)
        if revoked:
            reason = "deactivated" if deactivated else "role_changed"
            await audit(
                AuditAction.AUTH_TOKEN_FAMILY_REVOKED, {"reason": reason, "revoked": revoked}
            )
    if changed or scope_changed or was_active != account.is_active:
        account.touch(now)
        await uow.accounts.save(account)
    await uow.commit()
    return account


async def reset_password(
    uow: AccountsUnitOfWork, hasher: PasswordHasher, *, actor: Principal, account_id: UUID
) -> tuple[Account, str]:
    """Give the account a one-time temporary password (returned once); it must be changed
    at the next sign-in. The account's sessions end (refresh tokens revoked, access tokens
    refused through the token version) and a lockout is lifted."""
    policy.require(actor, Action.USER_RESET_PASSWORD)
    account = await _locked_account(uow, account_id)
    now = uow.clock.now()
    temporary = generate_password()
    account.password_hash = await hasher.hash(temporary)
    account.must_change_password = True
    account.failed_logins, account.locked_until = 0, None
    account.revoke_tokens()
    account.touch(now)
    await uow.accounts.save(account)
    await uow.refresh_tokens.revoke_for_account(account.id, at=now)
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.USER_PASSWORD_RESET,
        entity_type="account",
        entity_id=account.id,
        province_code=account.province_code,
    )
    await uow.commit()
    return account, temporary


async def change_own_password(
    uow: AccountsUnitOfWork,
    hasher: PasswordHasher,
    *,
    actor: Principal,
    current_password: str,
    new_password: str,
    rules: LoginPolicy,
) -> Account:
    """Change the caller's password; this ends every session of the account (refresh
    tokens revoked, token version bumped: every access token issued before, the caller's
    own included, is refused from now on), so every device must sign in again.

    A wrong current password counts like a failed sign-in (so a stolen access token
    cannot be used to guess the password): enough of them lock the account.
    """
    policy.require(actor, Action.ME_PASSWORD_CHANGE)
    # Locked first: parallel wrong guesses are counted one after another (none lost),
    # so they lock the account like sign-ins do.
    account = await _locked_account(uow, actor.account_id)
    locked_for = account.locked_for(uow.clock.now())
    if locked_for:
        raise AccountLocked(locked_for)
    if len(current_password) > PASSWORD_MAX_LENGTH or account.password_hash is None:
        raise WrongCurrentPassword()
    matches, _ = await hasher.verify(current_password, account.password_hash)
    if not matches:
        await uow.audit.record(
            account.actor(),
            AuditAction.USER_PASSWORD_CHANGE_FAILED,
            entity_type="account",
            entity_id=account.id,
            province_code=account.province_code,
            details={"failed_logins": account.failed_logins + 1},
        )
        await record_wrong_password(uow, account, rules)  # commits; raises when it locks
        raise WrongCurrentPassword()
    check_password_rules(new_password)
    if new_password == current_password:
        raise InvalidInput("The new password must differ from the current one.")
    now = uow.clock.now()
    account.password_hash = await hasher.hash(new_password)
    account.must_change_password = False
    account.failed_logins = 0
    account.revoke_tokens()
    account.touch(now)
    await uow.accounts.save(account)
    await uow.refresh_tokens.revoke_for_account(account.id, at=now)
    await uow.audit.record(
        account.actor(),
        AuditAction.USER_PASSWORD_CHANGED,
        entity_type="account",
        entity_id=account.id,
        province_code=account.province_code,
    )
    await uow.commit()
    return account
