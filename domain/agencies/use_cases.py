"""Use cases of the partner agencies registry: everyone signed in reads it, admins keep it.

Audit details carry the code and the names of the fields changed, never contact data.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import policy
from domain.agencies.errors import AgencyNotFound
from domain.agencies.model import Agency, normalize_agency_code
from domain.agencies.ports import AgenciesUnitOfWork
from domain.audit.model import AuditAction, AuditActor, DetailValue
from domain.concurrency import VersionMatch, require_version
from domain.errors import InvalidInput
from domain.policy import Action, Principal

ENTITY = "agency"


@dataclass(frozen=True, slots=True)
class AgencyChanges:
    """A partial update: only the names in `fields` were sent (null clears contact data)."""

    fields: frozenset[str]
    name_th: str | None = None
    name_en: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    is_active: bool | None = None


async def list_agencies(
    uow: AgenciesUnitOfWork, *, actor: Principal | None, active: bool | None = None
) -> list[Agency]:
    policy.require(actor, Action.AGENCY_READ)
    return await uow.agencies.list(active=active)


async def get_agency(uow: AgenciesUnitOfWork, *, actor: Principal | None, code: str) -> Agency:
    policy.require(actor, Action.AGENCY_READ)
    try:
        normalized = normalize_agency_code(code)
    except InvalidInput:
        raise AgencyNotFound(code) from None
    agency = await uow.agencies.get(normalized)
    if agency is None:
        raise AgencyNotFound(code)
    return agency


async def register_agency(
    uow: AgenciesUnitOfWork,
    *,
    actor: Principal | None,
    code: str,
    name_th: str,
    name_en: str,
    phone: str | None = None,
    email: str | None = None,
    website: str | None = None,
) -> Agency:
    """Add an agency (admins); its code is permanent (partner accounts and referrals use it)."""
    policy.require(actor, Action.AGENCY_MANAGE)
    agency = Agency.new(
        code=code, name_th=name_th, name_en=name_en, phone=phone, email=email, website=website
    )
    await uow.agencies.add(agency)  # AgencyExists (409)
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.AGENCY_REGISTERED,
        entity_type=ENTITY,
        entity_id=agency.code,
    )
    await uow.commit()
    return agency


async def update_agency(
    uow: AgenciesUnitOfWork,
    *,
    actor: Principal | None,
    code: str,
    changes: AgencyChanges,
    expected_version: VersionMatch | None,
) -> Agency:
    """Change names, contact data or whether it takes referrals (admins; If-Match)."""
    policy.require(actor, Action.AGENCY_MANAGE)
    agency = await uow.agencies.get(code.strip().upper(), for_update=True)
    if agency is None:
        raise AgencyNotFound(code)
    require_version(ENTITY, agency.version, expected_version)
    changed = agency.change(
        fields=changes.fields,
        name_th=changes.name_th,
        name_en=changes.name_en,
        phone=changes.phone,
        email=changes.email,
        website=changes.website,
        is_active=changes.is_active,
    )
    if not changed:
        return agency
    await uow.agencies.save(agency)
    details: dict[str, DetailValue] = {
        "fields": list[DetailValue](changed),
        "version": agency.version,
    }
    await uow.audit.record(
        AuditActor.of(actor),
        AuditAction.AGENCY_UPDATED,
        entity_type=ENTITY,
        entity_id=agency.code,
        details=details,
    )
    await uow.commit()
    return agency
