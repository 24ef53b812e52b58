"""Partner agencies: request and response schemas, their examples and converters."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from api.schemas import ApiModel
from domain.agencies.model import Agency
from domain.agencies.use_cases import AgencyChanges

_PACC: dict[str, Any] = {
    "code": "PACC",
    "name_th": "สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตในภาครัฐ (สำนักงาน ป.ป.ท.)",
    "name_en": "Office of the Public Sector Anti-Corruption Commission (PACC)",
    "phone": "1206",
    "email": None,
    "website": "https://www.pacc.go.th",
    "is_active": True,
    "version": 1,
}
CODE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{1,15}$"


class AgencyPublic(ApiModel):
    """A partner agency: cases are referred to it, its partner accounts report back."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_PACC]})

    code: str = Field(description="Stable code, e.g. `NACC`, `PACC`, `DSI`, `RTP`, `OAG`")
    name_th: str
    name_en: str
    phone: str | None
    email: str | None
    website: str | None
    is_active: bool = Field(description="Takes referrals")
    version: int = Field(description='The ETag is `"v<version>"`')


class AgencyList(ApiModel):
    """Every agency of the registry (a few dozen at most), by code."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_PACC]}]})

    items: list[AgencyPublic]

    @classmethod
    def of(cls, agencies: list[Agency]) -> AgencyList:
        return cls(items=[AgencyPublic.model_validate(agency) for agency in agencies])


class AgencyCreate(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "DOE_IG",
                    "name_th": "กองตรวจราชการ กรมการจัดหางาน",
                    "name_en": "Inspection Division, Department of Employment",
                    "phone": "026452400",
                    "email": "inspect@doe.go.th",
                    "website": None,
                }
            ]
        }
    )

    code: str = Field(pattern=CODE_PATTERN, description="Permanent; stored in upper case")
    name_th: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    website: str | None = Field(default=None, max_length=300)


class AgencyUpdate(ApiModel):
    """Fields to change; omitted fields stay, null clears a contact field."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"phone": "1206", "is_active": True}]}
    )

    name_th: str | None = Field(default=None, min_length=1, max_length=300)
    name_en: str | None = Field(default=None, min_length=1, max_length=300)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    website: str | None = Field(default=None, max_length=300)
    is_active: bool | None = Field(default=None, description="false: takes no new referrals")

    def changes(self) -> AgencyChanges:
        sent = self.model_dump(exclude_unset=True)
        return AgencyChanges(fields=frozenset(sent), **sent)
