"""Partner agencies: the agencies with legal powers that investigations are referred to.

Partner accounts (role `partner`) are bound to one agency by its code; what they may see
is the referrals to that agency (domain/investigations/referrals.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.contact import normalize_email
from domain.errors import InvalidInput

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")


def normalize_agency_code(raw: str) -> str:
    """Upper case, 2-16 letters, digits or '_', starting with a letter: `PACC`, `GOV1111`."""
    code = raw.strip().upper()
    if not _CODE.match(code):
        raise InvalidInput(
            "An agency code is 2-16 letters, digits or '_', starting with a letter (e.g. PACC)."
        )
    return code


def _text(value: str | None, what: str, max_length: int, *, required: bool = False) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"The {what} cannot be empty.")
    if len(text) > max_length:
        raise InvalidInput(f"The {what} may have at most {max_length} characters.")
    return text or None


@dataclass(slots=True)
class Agency:
    code: str
    name_th: str
    name_en: str
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    is_active: bool = True
    version: int = 1

    @classmethod
    def new(
        cls,
        *,
        code: str,
        name_th: str,
        name_en: str,
        phone: str | None = None,
        email: str | None = None,
        website: str | None = None,
    ) -> Agency:
        agency = cls(code=normalize_agency_code(code), name_th="", name_en="")
        agency.change(
            name_th=name_th,
            name_en=name_en,
            phone=phone,
            email=email,
            website=website,
            fields=frozenset({"name_th", "name_en", "phone", "email", "website"}),
        )
        agency.version = 1
        return agency

    def change(
        self,
        *,
        fields: frozenset[str],
        name_th: str | None = None,
        name_en: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        website: str | None = None,
        is_active: bool | None = None,
    ) -> list[str]:
        """Apply the fields named (None clears contact fields); the names that changed."""
        new: dict[str, object] = {}
        if "name_th" in fields:
            new["name_th"] = _text(name_th, "Thai name", 300, required=True)
        if "name_en" in fields:
            new["name_en"] = _text(name_en, "English name", 300, required=True)
        if "phone" in fields:
            new["phone"] = _text(phone, "phone", 32)
        if "email" in fields:
            new["email"] = normalize_email(email)
        if "website" in fields:
            new["website"] = _text(website, "website", 300)
        if "is_active" in fields:
            if is_active is None:
                raise InvalidInput("'is_active' cannot be null.")
            new["is_active"] = is_active
        changed = [name for name, value in new.items() if getattr(self, name) != value]
        for name in changed:
            setattr(self, name, new[name])
        if changed:
            self.version += 1
        return changed
