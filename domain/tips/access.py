"""Who sees which tip: routing by province, recusal, ownership.

- Provincial officers: tips of their province, minus those recused from it (the tip
  accuses that province's labour office or one of its officials). A recused tip is
  invisible to them: 404 on every id, absent from every list.
- Central officers and admins: every tip.
- Volunteers: the tips they reported themselves (status and reporter-visible messages).
- Investigators: `Scope.OWN` on tips linked to investigations assigned to them; the
  use cases ask the investigations feature which those are (`TipsUnitOfWork.assigned_tips`)
  and pass them in as `assigned`.
- Auditors and partners: no tip access (no rows in the policy table).

`visibility()` is the same rule as a filter the repository turns into SQL, so lists are
filtered before paging; `can_see()` answers it for one tip. A unit test keeps them equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain import policy
from domain.policy import Action, Principal, RecordScope, Role, Scope
from domain.tips.model import Tip


@dataclass(frozen=True, slots=True)
class TipVisibility:
    """A filter over tips. Nothing set: the caller sees no tip."""

    everything: bool = False
    #: Tips of this province that are not recused from it.
    province_code: str | None = None
    #: Tips reported by this account.
    reporter_id: UUID | None = None
    #: Tips of the investigations the caller is assigned to (investigators).
    tip_ids: frozenset[UUID] | None = None

    @property
    def nothing(self) -> bool:
        return (
            not self.everything
            and self.province_code is None
            and self.reporter_id is None
            and not self.tip_ids
        )


NOTHING = TipVisibility()


def visibility(
    principal: Principal | None, action: Action, *, assigned: frozenset[UUID] = frozenset()
) -> TipVisibility:
    """`assigned`: for investigators, the tips of the investigations assigned to them."""
    scope = policy.scope_for(principal, action)
    if principal is None or scope is None:
        return NOTHING
    if scope is Scope.ALL:
        return TipVisibility(everything=True)
    if scope is Scope.PROVINCE:
        if principal.province_code is None:
            return NOTHING
        return TipVisibility(province_code=principal.province_code)
    if principal.role is Role.VOLUNTEER:
        return TipVisibility(reporter_id=principal.account_id)
    if principal.role is Role.INVESTIGATOR and assigned:
        return TipVisibility(tip_ids=assigned)
    return NOTHING


def can_see(
    principal: Principal | None,
    action: Action,
    tip: Tip,
    *,
    assigned: frozenset[UUID] = frozenset(),
) -> bool:
    view = visibility(principal, action, assigned=assigned)
    if view.nothing or principal is None:
        return False
    if view.tip_ids is not None:
        return tip.id in view.tip_ids
    if (
        view.province_code is not None
        and tip.recused_province_code is not None
        and tip.recused_province_code == view.province_code
    ):
        return False
    owner = tip.reporter_account_id if view.reporter_id is not None else None
    return policy.can_access(
        principal, action, RecordScope(province_code=tip.province_code, owner_id=owner)
    )


def is_official(principal: Principal | None) -> bool:
    """Officials handle tips (as opposed to reporters); investigators are officials on the
    tips of their investigations."""
    return principal is not None and principal.role in {
        Role.PROVINCIAL_OFFICER,
        Role.CENTRAL_OFFICER,
        Role.ADMIN,
        Role.INVESTIGATOR,
    }
