"""Who sees which investigation.

- Central officers and admins: every investigation.
- Provincial officers: investigations led by their province, minus those that link a tip
  recused from it (the tip accuses that province's labour office or one of its
  officials): 404 on every id, absent from every list.
- Investigators (`Scope.OWN`): the investigations they are assigned to (lead or member).
- Auditors and partners: none (no rows in the policy table; partners see referrals).

`visibility()` is the rule as a filter the repository turns into SQL, so lists are
filtered before paging; `can_see()` answers it for one investigation. A unit test keeps
them equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain import policy
from domain.investigations.model import Investigation
from domain.policy import Action, Principal, Role, Scope


@dataclass(frozen=True, slots=True)
class InvestigationVisibility:
    """A filter over investigations. Nothing set: the caller sees none."""

    everything: bool = False
    #: Led by this province, and no linked tip recused from it.
    province_code: str | None = None
    #: Assigned to this account.
    assignee_id: UUID | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and self.province_code is None and self.assignee_id is None


NOTHING = InvestigationVisibility()


def visibility(principal: Principal | None, action: Action) -> InvestigationVisibility:
    scope = policy.scope_for(principal, action)
    if principal is None or scope is None:
        return NOTHING
    if scope is Scope.ALL:
        return InvestigationVisibility(everything=True)
    if scope is Scope.PROVINCE:
        if principal.province_code is None:
            return NOTHING
        return InvestigationVisibility(province_code=principal.province_code)
    if principal.role is Role.INVESTIGATOR:
        return InvestigationVisibility(assignee_id=principal.account_id)
    return NOTHING


def can_see(principal: Principal | None, action: Action, investigation: Investigation) -> bool:
    view = visibility(principal, action)
    if view.everything:
        return True
    if view.province_code is not None:
        return (
            investigation.lead_province_code == view.province_code
            and view.province_code not in investigation.recused_province_codes
        )
    if view.assignee_id is not None:
        return view.assignee_id in investigation.assignee_ids
    return False
