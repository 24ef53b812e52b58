"""Signing in: password login with lockout, rotating refresh tokens, logout.

A refresh token is an opaque random value; only its SHA-256 is stored. Each use rotates
it: the presented token is marked used and a new one of the same *family* is issued.
Presenting a token that was already used means two parties hold copies (one of them
stolen), so the whole family is revoked and both must sign in again.

Access tokens (JWTs) are issued by the api layer from the account this module returns.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain import policy
from domain.accounts.errors import AccountLocked, AccountNotFound
from domain.accounts.model import PASSWORD_MAX_LENGTH, Account, LoginPolicy, normalize_username
from domain.accounts.ports import PasswordHasher
from domain.accounts.use_cases import record_wrong_password
from domain.audit.model import ANONYMOUS, AuditAction, AuditActor, DetailValue
from domain.errors import InvalidInput
from domain.policy import Action, Principal
from domain.sessions.errors import InvalidCredentials, InvalidRefreshToken, SessionNotFound
from domain.sessions.model import RefreshToken, Session, hash_refresh_token, session_of
from domain.sessions.ports import SessionsUnitOfWork


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A successful login or refresh: the account (for the access token) and the new
    refresh token's value, which is never stored and shown only this once."""

    account: Account
    refresh_token: str
    refresh_expires_at: datetime
    #: The session (refresh-token family) id, carried by access tokens as `sid`.
    session_id: UUID
    #: The session's absolute end: no access token of it may outlive it.
    session_expires_at: datetime


async def _issue_refresh_token(
    uow: SessionsUnitOfWork,
    account: Account,
    *,
    rules: LoginPolicy,
    parent: RefreshToken | None = None,
) -> tuple[str, RefreshToken]:
    """A new refresh token: a new family at sign-in, the parent's family on refresh.

    It expires at the earliest of `refresh_ttl` and `session_idle` from now and
    `session_max` from the sign-in: the idle timeout and the absolute lifetime of the
    session are the expiry of its refresh token.
    """
    value = secrets.token_urlsafe(32)
    now = uow.clock.now()
    started = parent.started_at if parent is not None else now
    token = RefreshToken(
        id=uuid.uuid4(),
        account_id=account.id,
        family_id=parent.family_id if parent is not None else uuid.uuid4(),
        parent_id=parent.id if parent is not None else None,
        token_hash=hash_refresh_token(value),
        issued_at=now,
        expires_at=min(
            now + rules.refresh_ttl, now + rules.session_idle, started + rules.session_max
        ),
        session_started_at=started,
    )
    await uow.refresh_tokens.add(token)
    return value, token


async def login(
    uow: SessionsUnitOfWork,
    hasher: PasswordHasher,
    *,
    username: str,
    password: str,
    rules: LoginPolicy,
) -> SignedIn:
    """Check a username and password; on success start a new refresh-token family.

    Failures are audited and counted (committed before the error is raised);
    `rules.max_failures` consecutive failures lock the account for `rules.lockout`.
    """
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(f"A password may have at most {PASSWORD_MAX_LENGTH} characters.")
    try:
        normalized: str | None = normalize_username(username)
    except InvalidInput:
        normalized = None
    account = await uow.accounts.get_for_update(normalized) if normalized else None
    now = uow.clock.now()

    async def fail(reason: str, **details: DetailValue) -> None:
        await uow.audit.record(
            account.actor() if account else ANONYMOUS,
            AuditAction.AUTH_LOGIN_FAILED,
            entity_type="account" if account else None,
            entity_id=account.id if account else None,
            province_code=account.province_code if account else None,
            details={"reason": reason, **details},
        )

    locked_for = account.locked_for(now) if account is not None else 0
    if locked_for:
        await fail("locked")
        await uow.commit()
        raise AccountLocked(locked_for)

    if account is None or not account.is_active or account.password_hash is None:
        # No password can succeed here; throttle the username exactly as an account
        # would be locked, so lockouts do not reveal which usernames exist.
        throttled = normalized or username.strip().lower()
        throttle = await uow.login_throttles.get_for_update(throttled)
        throttle_locked_for = throttle.locked_for(now)
        if throttle_locked_for:
            await fail("locked")
            await uow.commit()
            raise AccountLocked(throttle_locked_for)
        await hasher.verify_dummy(password)
        throttle.failures += 1
        locks = throttle.failures >= rules.max_failures
        if locks:
            throttle.failures, throttle.locked_until = 0, now + rules.lockout
        await uow.login_throttles.save(throttled, throttle)
        await fail(
            "unknown_username"
            if account is None
            else "inactive"
            if not account.is_active
            else "no_password"
        )
        await uow.commit()
        if locks:
            raise AccountLocked(int(rules.lockout.total_seconds()))
        raise InvalidCredentials()

    matches, new_hash = await hasher.verify(password, account.password_hash)
    if not matches:
        await fail("wrong_password", failed_logins=account.failed_logins + 1)
        await record_wrong_password(uow, account, rules)  # commits; raises when it locks
        raise InvalidCredentials()

    if new_hash is not None:
        account.password_hash = new_hash
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    await uow.accounts.save(account)
    value, token = await _issue_refresh_token(uow, account, rules=rules)
    await uow.audit.record(
        account.actor(),
        AuditAction.AUTH_LOGIN_SUCCEEDED,
        entity_type="account",
        entity_id=account.id,
        province_code=account.province_code,
        details={"rehashed": new_hash is not None},
    )
    await uow.commit()
    return SignedIn(
        account=account,
        refresh_token=value,
        refresh_expires_at=token.expires_at,
        session_id=token.family_id,
        session_expires_at=token.started_at + rules.session_max,
    )


async def refresh(uow: SessionsUnitOfWork, *, refresh_token: str, rules: LoginPolicy) -> SignedIn:
    """Exchange a refresh token for a new one (and the account for a new access token).

    A token presented a second time revokes its whole family (committed, then 401).
    """
    token = await uow.refresh_tokens.get_by_hash_for_update(hash_refresh_token(refresh_token))
    if token is None or token.revoked_at is not None:
        raise InvalidRefreshToken()
    now = uow.clock.now()
    account = await uow.accounts.get(token.account_id)
    if token.used_at is not None or account is None or not account.is_active:
        revoked = await uow.refresh_tokens.revoke_family(token.family_id, at=now)
        if account is not None and revoked:
            await uow.audit.record(
                account.actor(),
                AuditAction.AUTH_TOKEN_FAMILY_REVOKED,
                entity_type="account",
                entity_id=account.id,
                province_code=account.province_code,
                details={
                    "reason": "reuse" if token.used_at is not None else "inactive",
                    "family": str(token.family_id),
                    "revoked": revoked,
                },
            )
        await uow.commit()
        raise InvalidRefreshToken()
    if token.expires_at <= now:
        # Idle too long, or past the session's absolute lifetime: the session ends here
        # (its access tokens are refused too, through their `sid`).
        revoked = await uow.refresh_tokens.revoke_family(token.family_id, at=now)
        await uow.audit.record(
            account.actor(),
            AuditAction.AUTH_TOKEN_FAMILY_REVOKED,
            entity_type="account",
            entity_id=account.id,
            province_code=account.province_code,
            details={
                "reason": "expired" if now >= token.started_at + rules.session_max else "idle",
                "family": str(token.family_id),
                "revoked": revoked,
            },
        )
        await uow.commit()
        raise InvalidRefreshToken()
    await uow.refresh_tokens.mark_used(token.id, at=now)
    value, new = await _issue_refresh_token(uow, account, rules=rules, parent=token)
    await uow.audit.record(
        account.actor(),
        AuditAction.AUTH_REFRESHED,
        entity_type="account",
        entity_id=account.id,
        province_code=account.province_code,
        details={"family": str(token.family_id)},
    )
    await uow.commit()
    return SignedIn(
        account=account,
        refresh_token=value,
        refresh_expires_at=new.expires_at,
        session_id=new.family_id,
        session_expires_at=new.started_at + rules.session_max,
    )


async def logout(uow: SessionsUnitOfWork, *, refresh_token: str) -> None:
    """Revoke the refresh token's family. Unknown or already revoked tokens are ignored."""
    token = await uow.refresh_tokens.get_by_hash_for_update(hash_refresh_token(refresh_token))
    if token is None:
        return
    revoked = await uow.refresh_tokens.revoke_family(token.family_id, at=uow.clock.now())
    if revoked:
        account = await uow.accounts.get(token.account_id)
        await uow.audit.record(
            account.actor() if account else ANONYMOUS,
            AuditAction.AUTH_TOKEN_FAMILY_REVOKED,
            entity_type="account",
            entity_id=token.account_id,
            province_code=account.province_code if account else None,
            details={"reason": "logout", "family": str(token.family_id), "revoked": revoked},
        )
    await uow.commit()


# ---------------------------------------------------------------------------------------
# Sessions: listing and ending them (OWASP ASVS 7.4-7.5)

#: At most this many sessions are listed (the most recently used first).
SESSION_LIST_LIMIT = 100


async def _sessions_of(
    uow: SessionsUnitOfWork, account_id: UUID, rules: LoginPolicy
) -> list[Session]:
    tokens = await uow.refresh_tokens.live_sessions(
        account_id, uow.clock.now(), limit=SESSION_LIST_LIMIT
    )
    return [session_of(token, max_lifetime=rules.session_max) for token in tokens]


async def _end_session(
    uow: SessionsUnitOfWork, *, actor: Principal, account: Account, session_id: UUID, reason: str
) -> None:
    revoked = await uow.refresh_tokens.revoke_session(account.id, session_id, at=uow.clock.now())
    if not revoked:
        raise SessionNotFound(session_id)
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.AUTH_TOKEN_FAMILY_REVOKED,
        entity_type="account",
        entity_id=account.id,
        province_code=account.province_code,
        details={"reason": reason, "family": str(session_id), "revoked": revoked},
    )
    await uow.commit()


async def list_own_sessions(
    uow: SessionsUnitOfWork, *, actor: Principal, rules: LoginPolicy
) -> list[Session]:
    """The caller's live sessions (sign-ins), most recently used first."""
    policy.require(actor, Action.ME_SESSION_LIST)
    return await _sessions_of(uow, actor.account_id, rules)


async def end_own_session(uow: SessionsUnitOfWork, *, actor: Principal, session_id: UUID) -> None:
    """End one of the caller's sessions (this one included): its refresh token stops
    working and its access tokens are refused at once. Another account's session, or one
    already ended, is a SessionNotFound."""
    policy.require(actor, Action.ME_SESSION_END)
    account = await uow.accounts.get(actor.account_id)
    if account is None:  # pragma: no cover - the token check loaded it a moment ago
        raise SessionNotFound(session_id)
    await _end_session(uow, actor=actor, account=account, session_id=session_id, reason="ended")


async def _managed_account(uow: SessionsUnitOfWork, actor: Principal, account_id: UUID) -> Account:
    account = await uow.accounts.get(account_id)
    if account is None:
        raise AccountNotFound(account_id)
    return account


async def list_account_sessions(
    uow: SessionsUnitOfWork, *, actor: Principal, account_id: UUID, rules: LoginPolicy
) -> list[Session]:
    """An account's live sessions (admin)."""
    policy.require(actor, Action.USER_SESSION_LIST)
    await _managed_account(uow, actor, account_id)
    return await _sessions_of(uow, account_id, rules)


async def end_account_session(
    uow: SessionsUnitOfWork, *, actor: Principal, account_id: UUID, session_id: UUID
) -> None:
    """End one session of an account (admin)."""
    policy.require(actor, Action.USER_SESSION_END)
    account = await _managed_account(uow, actor, account_id)
    await _end_session(
        uow, actor=actor, account=account, session_id=session_id, reason="ended_by_admin"
    )


async def end_all_account_sessions(
    uow: SessionsUnitOfWork, *, actor: Principal, account_id: UUID
) -> int:
    """End every session of an account (admin): its refresh tokens are revoked and its
    token version bumped, so every access token issued so far is refused, including
    tokens of no session. Returns how many refresh tokens were revoked."""
    policy.require(actor, Action.USER_SESSION_END)
    account = await uow.accounts.get_for_update_by_id(account_id)  # lock order: row first
    if account is None:
        raise AccountNotFound(account_id)
    now = uow.clock.now()
    account.revoke_tokens()
    account.touch(now)
    await uow.accounts.save(account)
    revoked = await uow.refresh_tokens.revoke_for_account(account.id, at=now)
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.AUTH_TOKEN_FAMILY_REVOKED,
        entity_type="account",
        entity_id=account.id,
        province_code=account.province_code,
        details={"reason": "all_ended_by_admin", "revoked": revoked},
    )
    await uow.commit()
    return revoked
