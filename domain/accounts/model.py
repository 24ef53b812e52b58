"""Accounts: the account entity, usernames and password rules."""

from __future__ import annotations

import math
import re
import secrets
import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import Enum
from typing import Literal
from uuid import UUID

from domain.audit.model import AuditActor
from domain.errors import InvalidInput
from domain.policy import PROVINCIAL_ROLES, Principal, Role

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def normalize_username(raw: str) -> str:
    """Usernames are case-insensitive: stored and compared in lower case."""
    username = raw.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            "A username is 3-64 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return username


@dataclass(slots=True)
class Account:
    id: UUID
    username: str
    display_name: str
    role: Role
    password_hash: str | None
    created_at: datetime
    updated_at: datetime
    email: str | None = None
    province_code: str | None = None
    agency_code: str | None = None
    is_active: bool = True
    must_change_password: bool = False
    last_login_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    version: int = 1
    #: Carried by access tokens as `tv`; bumped by `revoke_tokens` (see Principal).
    token_version: int = 1

    @classmethod
    def new(
        cls,
        *,
        username: str,
        display_name: str,
        role: Role,
        password_hash: str | None,
        now: datetime,
        email: str | None = None,
        province_code: str | None = None,
        agency_code: str | None = None,
        must_change_password: bool = False,
    ) -> Account:
        account = cls(
            id=uuid.uuid4(),
            username=normalize_username(username),
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
            email=email,
            province_code=province_code,
            agency_code=agency_code,
            must_change_password=must_change_password,
        )
        account.check_scope()
        return account

    def check_scope(self) -> None:
        """Provincial roles need a province; partner accounts need an agency."""
        if self.role in PROVINCIAL_ROLES and not self.province_code:
            raise InvalidInput(f"The role '{self.role}' needs a province_code.")
        if self.role not in PROVINCIAL_ROLES and self.province_code:
            raise InvalidInput(f"The role '{self.role}' is not bound to a province.")
        if self.role is Role.PARTNER and not self.agency_code:
            raise InvalidInput("The role 'partner' needs an agency_code.")

    def principal(self) -> Principal:
        return Principal(
            account_id=self.id,
            role=self.role,
            province_code=self.province_code,
            agency_code=self.agency_code,
            must_change_password=self.must_change_password,
            token_version=self.token_version,
        )

    def revoke_tokens(self) -> None:
        """Every access token issued so far stops working at its next request.

        A counter rather than a "valid after" timestamp: it needs no clock agreement
        between the processes that issue and check tokens, and a token issued in the same
        second (or millisecond) as the change is still told apart.
        """
        self.token_version += 1

    def actor(self) -> AuditActor:
        return AuditActor(id=str(self.id), role=str(self.role))

    def matches(self, principal: Principal) -> bool:
        """Does a token's principal still speak for this account (active, same role/scope,
        issued since the last revocation)?"""
        return (
            self.is_active
            and self.id == principal.account_id
            and self.token_version == principal.token_version
            and self.role is principal.role
            and self.province_code == principal.province_code
            and self.agency_code == principal.agency_code
        )

    def locked_for(self, now: datetime) -> int:
        """Seconds until a lockout ends (0 when not locked)."""
        if self.locked_until is None or self.locked_until <= now:
            return 0
        return math.ceil((self.locked_until - now).total_seconds())

    def touch(self, now: datetime) -> None:
        self.updated_at = now
        self.version += 1


class Unset(Enum):
    """Marks a field a partial update leaves alone (distinct from setting it to None)."""

    UNSET = "unset"


UNSET: Literal[Unset.UNSET] = Unset.UNSET


@dataclass(frozen=True, slots=True)
class AccountChanges:
    """A partial update of an account: fields left UNSET stay as they are."""

    display_name: str | Literal[Unset.UNSET] = UNSET
    email: str | Literal[Unset.UNSET] | None = UNSET
    role: Role | Literal[Unset.UNSET] = UNSET
    province_code: str | Literal[Unset.UNSET] | None = UNSET
    agency_code: str | Literal[Unset.UNSET] | None = UNSET
    is_active: bool | Literal[Unset.UNSET] = UNSET

    def given(self) -> dict[str, object]:
        """The fields this change sets (to a value or to None), by name."""
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        return {name: value for name, value in values.items() if value is not UNSET}


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=14)
    #: A sign-in session ends when its refresh token has not been used for this long...
    session_idle: timedelta = timedelta(minutes=30)
    #: ... and in any case this long after the password was presented (OWASP ASVS 7.3).
    session_max: timedelta = timedelta(hours=12)


# ---------------------------------------------------------------------------------------
# Passwords

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024


def check_password_rules(password: str) -> None:
    """12 to 1024 characters; longer ones are refused, never silently truncated."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(f"A password needs at least {PASSWORD_MIN_LENGTH} characters.")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(f"A password may have at most {PASSWORD_MAX_LENGTH} characters.")


def generate_password() -> str:
    """A random one-time password (24 URL-safe characters, 144 bits)."""
    return secrets.token_urlsafe(18)
