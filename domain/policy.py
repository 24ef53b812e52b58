"""Who may do what: roles, actions and the one access table.

Deny by default. Two questions, asked in this order:

1. `require(principal, action)`: may this role perform the action at all?
   Anonymous callers may perform only the actions in `PUBLIC_ACTIONS`; a signed-in
   caller whose role has no row for the action is refused (the API answers 401 / 403).
2. `can_access(principal, action, record)`: may it do so on this particular record?
   The scope in the table decides (everywhere, own province, own records). A record
   the caller may not reach must be reported as *not found*, never as forbidden, so
   use cases raise their `...NotFound` error when this returns False.

API clients (partner systems, domain/clients) have no role: `CLIENT_RULES` names, per
action, the `ClientScope` a client's token must carry (deny by default, 403 otherwise),
and their `Scope.OWN` reaches the records of their own agency.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.errors import Forbidden, NotAuthenticated


class Role(StrEnum):
    ADMIN = "admin"
    CENTRAL_OFFICER = "central_officer"
    PROVINCIAL_OFFICER = "provincial_officer"
    INVESTIGATOR = "investigator"
    VOLUNTEER = "volunteer"
    AUDITOR = "auditor"
    PARTNER = "partner"


#: Roles that belong to one province and must carry a province code.
PROVINCIAL_ROLES = frozenset({Role.PROVINCIAL_OFFICER, Role.VOLUNTEER})


class ClientScope(StrEnum):
    """What an API client (a partner agency's system, OAuth2 client credentials) may do.

    A closed list: admins grant a client some of these when they register it, a token
    request may narrow them (`scope=...`), and `CLIENT_RULES` below names, for each
    action, the scope that lets a client perform it. Every scope reaches only the
    client's own agency.
    """

    REFERRALS_READ = "referrals:read"
    REFERRALS_WRITE = "referrals:write"
    WEBHOOKS_MANAGE = "webhooks:manage"
    CHANGES_READ = "changes:read"


#: What each scope allows (the OpenAPI document and docs/partners.md show these).
CLIENT_SCOPE_DESCRIPTIONS: dict[ClientScope, str] = {
    ClientScope.REFERRALS_READ: "List and read the referrals to the client's agency "
    "(the summary written for it and the status updates)",
    ClientScope.REFERRALS_WRITE: "Report back on the agency's referrals: received, "
    "accepted, declined, in_progress, prosecuted, closed",
    ClientScope.WEBHOOKS_MANAGE: "Manage the agency's webhook endpoints (create, update, "
    "disable, rotate their secrets, redeliver events)",
    ClientScope.CHANGES_READ: "Poll the agency's changes feed (the events webhooks deliver)",
}


#: What audit entries and timelines record as the role of an API client.
CLIENT_ACTOR_ROLE = "client"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as established by `auth/` from a verified token.

    Either an account (a person: `role` set) or an API client (a partner agency's
    system: `role` None, `scopes` and `agency_code` set, `account_id` the client's id,
    under which its actions are audited).
    """

    account_id: UUID
    role: Role | None
    province_code: str | None = None
    agency_code: str | None = None
    #: Set after an admin password reset: only the actions in PASSWORD_CHANGE_ACTIONS work.
    must_change_password: bool = False
    #: An API client's granted scopes (empty for accounts).
    scopes: frozenset[ClientScope] = frozenset()
    #: The account's token version when the token was issued (the `tv` claim): a password
    #: change, a reset, a deactivation or a change of role or scope bumps the account's
    #: version, and every token carrying an older one is refused.
    token_version: int = 1
    #: The sign-in (refresh-token family) the token belongs to (the `sid` claim), if any:
    #: ending that session refuses its access tokens too.
    session_id: UUID | None = None

    @classmethod
    def client(
        cls, client_id: UUID, *, agency_code: str, scopes: frozenset[ClientScope]
    ) -> Principal:
        return cls(account_id=client_id, role=None, agency_code=agency_code, scopes=scopes)

    @property
    def is_client(self) -> bool:
        return self.role is None

    @property
    def role_name(self) -> str:
        """The role as audit entries and timelines record it (`client` for API clients)."""
        return CLIENT_ACTOR_ROLE if self.role is None else self.role.value


class Scope(StrEnum):
    """How far a role's permission for an action reaches."""

    ALL = "all"  # every record
    PROVINCE = "province"  # records of the caller's own province
    OWN = "own"  # records that belong to the caller (an API client: its agency's)


class Action(StrEnum):
    # public registry and service
    HEALTH_READ = "health.read"
    PROVINCE_READ = "province.read"
    # signing in (the credential is in the request body, so anyone may call these)
    AUTH_TOKEN = "auth.token"  # noqa: S105
    AUTH_REFRESH = "auth.refresh"
    AUTH_LOGOUT = "auth.logout"
    # the caller's own account
    ME_READ = "me.read"
    ME_PASSWORD_CHANGE = "me.password_change"  # noqa: S105
    ME_SESSION_LIST = "me.session_list"
    ME_SESSION_END = "me.session_end"
    # account management
    USER_CREATE = "user.create"
    USER_LIST = "user.list"
    USER_READ = "user.read"
    USER_UPDATE = "user.update"
    USER_RESET_PASSWORD = "user.reset_password"  # noqa: S105
    USER_SESSION_LIST = "user.session_list"
    USER_SESSION_END = "user.session_end"
    # the audit trail (auditors and admins only)
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_EXPORT = "audit.export"
    # tips
    TIP_SUBMIT = "tip.submit"
    TIP_FOLLOW_UP = "tip.follow_up"
    TIP_READ = "tip.read"
    TIP_TRIAGE = "tip.triage"
    TIP_REASSIGN = "tip.reassign"
    TIP_MESSAGE = "tip.message"
    TIP_LINK = "tip.link"
    # the identity vault (domain/tips/disclosures.py)
    TIP_DISCLOSURE_REQUEST = "tip.disclosure_request"
    TIP_DISCLOSURE_DECIDE = "tip.disclosure_decide"
    TIP_DISCLOSURE_READ = "tip.disclosure_read"
    # volunteer registry
    VOLUNTEER_APPLY = "volunteer.apply"
    VOLUNTEER_ACTIVATE = "volunteer.activate"
    VOLUNTEER_LIST = "volunteer.list"
    VOLUNTEER_READ = "volunteer.read"
    VOLUNTEER_UPDATE = "volunteer.update"
    VOLUNTEER_MOVE = "volunteer.move"
    VOLUNTEER_APPROVE = "volunteer.approve"
    VOLUNTEER_REJECT = "volunteer.reject"
    VOLUNTEER_SUSPEND = "volunteer.suspend"
    VOLUNTEER_REINSTATE = "volunteer.reinstate"
    VOLUNTEER_RETIRE = "volunteer.retire"
    VOLUNTEER_ERASE = "volunteer.erase"
    VOLUNTEER_TRAINING_RECORD = "volunteer.training_record"
    VOLUNTEER_PLEDGE = "volunteer.pledge"
    VOLUNTEER_SELF_READ = "volunteer.self_read"
    VOLUNTEER_SELF_UPDATE = "volunteer.self_update"
    VOLUNTEER_SELF_EXPORT = "volunteer.self_export"
    # investigations (see domain/investigations/access.py)
    INVESTIGATION_CREATE = "investigation.create"
    INVESTIGATION_READ = "investigation.read"
    INVESTIGATION_UPDATE = "investigation.update"
    INVESTIGATION_START = "investigation.start"
    INVESTIGATION_HOLD = "investigation.hold"
    INVESTIGATION_RESUME = "investigation.resume"
    INVESTIGATION_CONCLUDE = "investigation.conclude"
    INVESTIGATION_REOPEN = "investigation.reopen"
    INVESTIGATION_ASSIGN = "investigation.assign"
    INVESTIGATION_NOTE = "investigation.note"
    INVESTIGATION_EVIDENCE = "investigation.evidence"
    INVESTIGATION_REFER = "investigation.refer"
    # partner agencies and the referrals to them
    AGENCY_READ = "agency.read"
    AGENCY_MANAGE = "agency.manage"
    REFERRAL_READ = "referral.read"
    REFERRAL_UPDATE = "referral.update"
    # partner integration: webhook endpoints and the changes feed (domain/webhooks)
    WEBHOOK_MANAGE = "webhook.manage"
    CHANGES_READ = "changes.read"
    # API clients of partner systems (OAuth2 client credentials), managed by admins
    CLIENT_MANAGE = "client.manage"
    # statistics (domain/statistics): internal figures, the annual report, public figures
    STATISTICS_READ = "statistics.read"
    STATISTICS_NATIONAL_READ = "statistics.national_read"
    STATISTICS_PUBLIC_READ = "statistics.public_read"


#: Actions anyone may perform without signing in.
PUBLIC_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.HEALTH_READ,
        Action.PROVINCE_READ,
        Action.AUTH_TOKEN,
        Action.AUTH_REFRESH,
        Action.AUTH_LOGOUT,
        Action.TIP_SUBMIT,
        Action.TIP_FOLLOW_UP,
        Action.VOLUNTEER_APPLY,
        Action.VOLUNTEER_ACTIVATE,
        Action.STATISTICS_PUBLIC_READ,
    }
)

#: What an account that must change its password (after an admin reset) may still do.
PASSWORD_CHANGE_ACTIONS: frozenset[Action] = PUBLIC_ACTIONS | {
    Action.ME_READ,
    Action.ME_PASSWORD_CHANGE,
}

_EVERY_ROLE = dict.fromkeys(Role, Scope.ALL)
_ADMIN = {Role.ADMIN: Scope.ALL}
_ADMIN_AND_CENTRAL = {Role.ADMIN: Scope.ALL, Role.CENTRAL_OFFICER: Scope.ALL}
_AUDITORS = {Role.AUDITOR: Scope.ALL, Role.ADMIN: Scope.ALL}
#: Who manages volunteers: the central centre everywhere, provincial offices at home.
_VOLUNTEER_MANAGERS = {
    Role.ADMIN: Scope.ALL,
    Role.CENTRAL_OFFICER: Scope.ALL,
    Role.PROVINCIAL_OFFICER: Scope.PROVINCE,
}
_VOLUNTEER_SELF = {Role.VOLUNTEER: Scope.OWN}
#: Who runs investigations: the central centre everywhere, provincial offices those led by
#: their province (minus those holding a tip recused from it), investigators those they
#: are assigned to (Scope.OWN). Auditors and partners have no row: no case content.
_CASE_OFFICERS = {
    Role.ADMIN: Scope.ALL,
    Role.CENTRAL_OFFICER: Scope.ALL,
    Role.PROVINCIAL_OFFICER: Scope.PROVINCE,
}
_CASE_WORKERS = {**_CASE_OFFICERS, Role.INVESTIGATOR: Scope.OWN}

#: The access table. An action missing here, or a role missing under an action, is denied.
RULES: dict[Action, dict[Role, Scope]] = {
    Action.HEALTH_READ: _EVERY_ROLE,
    Action.PROVINCE_READ: _EVERY_ROLE,
    Action.AUTH_TOKEN: _EVERY_ROLE,
    Action.AUTH_REFRESH: _EVERY_ROLE,
    Action.AUTH_LOGOUT: _EVERY_ROLE,
    Action.ME_READ: _EVERY_ROLE,
    Action.ME_PASSWORD_CHANGE: _EVERY_ROLE,
    Action.ME_SESSION_LIST: _EVERY_ROLE,
    Action.ME_SESSION_END: _EVERY_ROLE,
    Action.USER_CREATE: _ADMIN,
    Action.USER_LIST: _ADMIN_AND_CENTRAL,
    Action.USER_READ: _ADMIN_AND_CENTRAL,
    Action.USER_UPDATE: _ADMIN,
    Action.USER_RESET_PASSWORD: _ADMIN,
    Action.USER_SESSION_LIST: _ADMIN,
    Action.USER_SESSION_END: _ADMIN,
    Action.AUDIT_READ: _AUDITORS,
    Action.AUDIT_VERIFY: _AUDITORS,
    Action.AUDIT_EXPORT: _AUDITORS,
    # Tips (see domain/tips/access.py). Auditors and partners have no row: no tip access.
    # Anyone may submit; a provincial officer records tips for their own province only.
    Action.TIP_SUBMIT: {
        Role.VOLUNTEER: Scope.OWN,
        Role.PROVINCIAL_OFFICER: Scope.PROVINCE,
        Role.CENTRAL_OFFICER: Scope.ALL,
        Role.ADMIN: Scope.ALL,
    },
    # The receipt is the credential; signed-in callers are still recorded as anonymous.
    Action.TIP_FOLLOW_UP: {
        Role.VOLUNTEER: Scope.ALL,
        Role.PROVINCIAL_OFFICER: Scope.ALL,
        Role.CENTRAL_OFFICER: Scope.ALL,
        Role.ADMIN: Scope.ALL,
        Role.INVESTIGATOR: Scope.ALL,
    },
    # Investigators: OWN = tips linked to investigations assigned to them.
    Action.TIP_READ: {
        Role.VOLUNTEER: Scope.OWN,
        Role.PROVINCIAL_OFFICER: Scope.PROVINCE,
        Role.CENTRAL_OFFICER: Scope.ALL,
        Role.ADMIN: Scope.ALL,
        Role.INVESTIGATOR: Scope.OWN,
    },
    Action.TIP_TRIAGE: {
        Role.PROVINCIAL_OFFICER: Scope.PROVINCE,
        Role.CENTRAL_OFFICER: Scope.ALL,
        Role.ADMIN: Scope.ALL,
    },
    Action.TIP_REASSIGN: {Role.CENTRAL_OFFICER: Scope.ALL, Role.ADMIN: Scope.ALL},
    # Volunteers exchange messages on their own tips (never internal notes); investigators
    # write to the reporters of the tips of their investigations.
    Action.TIP_MESSAGE: {
        Role.VOLUNTEER: Scope.OWN,
        Role.PROVINCIAL_OFFICER: Scope.PROVINCE,
        Role.CENTRAL_OFFICER: Scope.ALL,
        Role.ADMIN: Scope.ALL,
        Role.INVESTIGATOR: Scope.OWN,
    },
    Action.TIP_LINK: {
        Role.PROVINCIAL_OFFICER: Scope.PROVINCE,
        Role.CENTRAL_OFFICER: Scope.ALL,
        Role.ADMIN: Scope.ALL,
    },
    # The identity vault: officials who can see a tip ask (investigators: the tips of their
    # investigations); the central centre is the custodian that decides; requesters read
    # their own requests (OWN), custodians and admins every request.
    Action.TIP_DISCLOSURE_REQUEST: {
        Role.INVESTIGATOR: Scope.OWN,
        Role.PROVINCIAL_OFFICER: Scope.PROVINCE,
        Role.CENTRAL_OFFICER: Scope.ALL,
        Role.ADMIN: Scope.ALL,
    },
    Action.TIP_DISCLOSURE_DECIDE: {Role.CENTRAL_OFFICER: Scope.ALL},
    Action.TIP_DISCLOSURE_READ: {
        Role.INVESTIGATOR: Scope.OWN,
        Role.PROVINCIAL_OFFICER: Scope.OWN,
        Role.CENTRAL_OFFICER: Scope.ALL,
        Role.ADMIN: Scope.ALL,
    },
    Action.VOLUNTEER_APPLY: _EVERY_ROLE,
    Action.VOLUNTEER_ACTIVATE: _EVERY_ROLE,
    Action.VOLUNTEER_LIST: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_READ: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_UPDATE: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_MOVE: {Role.ADMIN: Scope.ALL, Role.CENTRAL_OFFICER: Scope.ALL},
    Action.VOLUNTEER_APPROVE: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_REJECT: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_SUSPEND: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_REINSTATE: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_RETIRE: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_ERASE: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_TRAINING_RECORD: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_PLEDGE: _VOLUNTEER_MANAGERS,
    Action.VOLUNTEER_SELF_READ: _VOLUNTEER_SELF,
    Action.VOLUNTEER_SELF_UPDATE: _VOLUNTEER_SELF,
    Action.VOLUNTEER_SELF_EXPORT: _VOLUNTEER_SELF,
    # Opening links tips the opener may triage; reopening a concluded case is central only.
    Action.INVESTIGATION_CREATE: _CASE_OFFICERS,
    Action.INVESTIGATION_READ: _CASE_WORKERS,
    Action.INVESTIGATION_UPDATE: _CASE_WORKERS,
    Action.INVESTIGATION_START: _CASE_WORKERS,
    Action.INVESTIGATION_HOLD: _CASE_WORKERS,
    Action.INVESTIGATION_RESUME: _CASE_WORKERS,
    Action.INVESTIGATION_CONCLUDE: _CASE_WORKERS,
    Action.INVESTIGATION_REOPEN: {Role.CENTRAL_OFFICER: Scope.ALL},
    Action.INVESTIGATION_ASSIGN: _CASE_OFFICERS,
    Action.INVESTIGATION_NOTE: _CASE_WORKERS,
    Action.INVESTIGATION_EVIDENCE: _CASE_WORKERS,
    # Referring hands a summary (never the tips or the reporters) to a partner agency.
    Action.INVESTIGATION_REFER: _CASE_OFFICERS,
    Action.AGENCY_READ: _EVERY_ROLE,
    Action.AGENCY_MANAGE: _ADMIN,
    # Partners: OWN = referrals to their own agency (`Principal.agency_code`).
    Action.REFERRAL_READ: {
        Role.ADMIN: Scope.ALL,
        Role.CENTRAL_OFFICER: Scope.ALL,
        Role.PARTNER: Scope.OWN,
    },
    Action.REFERRAL_UPDATE: {Role.PARTNER: Scope.OWN},
    # Partners: OWN = their own agency's endpoints and events; admins act for any agency.
    Action.WEBHOOK_MANAGE: {Role.ADMIN: Scope.ALL, Role.PARTNER: Scope.OWN},
    Action.CHANGES_READ: {Role.ADMIN: Scope.ALL, Role.PARTNER: Scope.OWN},
    Action.CLIENT_MANAGE: _ADMIN,
    # Statistics: counts only, never records. Provincial offices see their own province;
    # figures that are national by nature (referrals by agency, the annual report) are
    # for the central centre and admins.
    Action.STATISTICS_READ: _VOLUNTEER_MANAGERS,
    Action.STATISTICS_NATIONAL_READ: _ADMIN_AND_CENTRAL,
    Action.STATISTICS_PUBLIC_READ: _EVERY_ROLE,
}

#: What API clients may do: the action -> the scope the client must hold (None: any
#: client). Deny by default: an action missing here is refused to every client (403).
#: A scoped action reaches only the client's own agency (Scope.OWN, see
#: `client_scope_for`): the partner actions. Reference data needs no scope.
CLIENT_RULES: dict[Action, ClientScope | None] = {
    Action.HEALTH_READ: None,
    Action.PROVINCE_READ: None,
    Action.AGENCY_READ: None,
    Action.REFERRAL_READ: ClientScope.REFERRALS_READ,
    Action.REFERRAL_UPDATE: ClientScope.REFERRALS_WRITE,
    Action.WEBHOOK_MANAGE: ClientScope.WEBHOOKS_MANAGE,
    Action.CHANGES_READ: ClientScope.CHANGES_READ,
    Action.STATISTICS_PUBLIC_READ: None,
}


class PasswordChangeRequired(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "This account must change its password (POST /api/v1/me/password) "
            "before it may do anything else."
        )


@dataclass(frozen=True, slots=True)
class RecordScope:
    """What the policy needs to know about a record to decide on access."""

    province_code: str | None = None
    owner_id: UUID | None = None
    #: The partner agency a record belongs to (what an API client's OWN scope reaches).
    agency_code: str | None = None


def scope_for(principal: Principal | None, action: Action) -> Scope | None:
    """The scope this caller has for the action, or None when it has none."""
    if principal is None:
        return Scope.ALL if action in PUBLIC_ACTIONS else None
    if principal.role is None:
        return client_scope_for(principal.scopes, action)
    return RULES.get(action, {}).get(principal.role)


def client_scope_for(scopes: frozenset[ClientScope], action: Action) -> Scope | None:
    """The scope an API client holding `scopes` has for the action, or None."""
    if action not in CLIENT_RULES:
        return None
    needed = CLIENT_RULES[action]
    if needed is not None and needed not in scopes:
        return None
    # Reference data (no scope needed) reaches everything; a scoped action its agency.
    return Scope.ALL if needed is None else Scope.OWN


def require(principal: Principal | None, action: Action) -> Scope:
    """Role-level check; raise when the caller may not perform the action at all."""
    scope = scope_for(principal, action)
    if scope is not None:
        if (
            principal is not None
            and principal.must_change_password
            and action not in PASSWORD_CHANGE_ACTIONS
        ):
            raise PasswordChangeRequired()
        return scope
    if principal is None:
        raise NotAuthenticated("This operation needs a valid access token.")
    if principal.role is None:
        needed = CLIENT_RULES.get(action)
        if action in CLIENT_RULES and needed is not None:
            raise Forbidden(f"This API client's token lacks the scope '{needed}' for '{action}'.")
        raise Forbidden(f"API clients may not perform '{action}'.")
    raise Forbidden(f"The role '{principal.role}' may not perform '{action}'.")


def can_access(principal: Principal | None, action: Action, record: RecordScope) -> bool:
    """Record-level check: does the caller's scope for the action reach this record?"""
    scope = scope_for(principal, action)
    if scope is None:
        return False
    if scope is Scope.ALL:
        return True
    if principal is None:  # pragma: no cover - anonymous scopes are always ALL
        return False
    if scope is Scope.PROVINCE:
        return principal.province_code is not None and (
            record.province_code == principal.province_code
        )
    if principal.is_client or principal.role is Role.PARTNER:
        # Partners (accounts and API clients) own what belongs to their agency.
        return record.agency_code is not None and record.agency_code == principal.agency_code
    return record.owner_id is not None and record.owner_id == principal.account_id
