"""A partner's first session, through the Python client generated from the committed spec.

openapi-python-client generates the client (tests/contract/conftest.py); the test drives
the app with it, as a partner would: an anonymous tip with a plain `Client`, its
follow-up by receipt, an officer's sign-in, a list read page by page with the cursor,
a volunteer approval whose one-time activation code comes back typed, and an audit
verification. Request bodies are built with the generated models' `from_dict`, found
from each operation's signature, so the test does not depend on model class names.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import typing
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from fastapi import FastAPI

from domain.policy import Role
from tests.conftest import CreateAccount
from tests.contract.conftest import GeneratedClient

PACKAGE = "duangta_generated_client"
BASE_URL = "http://testserver"
PASSWORD = "correct horse battery staple 42"


def _package(generated: GeneratedClient) -> ModuleType:
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACKAGE,
            generated.package / "__init__.py",
            submodule_search_locations=[str(generated.package)],
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = module
        spec.loader.exec_module(module)
    return sys.modules[PACKAGE]


class Partner:
    """Calls operations of the generated client by operationId."""

    def __init__(self, generated: GeneratedClient, app: FastAPI) -> None:
        self.package = _package(generated)
        self.modules = {
            path.stem: f"{PACKAGE}.api.{path.parent.name}.{path.stem}"
            for path in Path(generated.package).glob("api/*/*.py")
        }
        self.transport = httpx.ASGITransport(app=app)

    def anonymous(self) -> Any:
        client_module = importlib.import_module(f"{PACKAGE}.client")
        return client_module.Client(base_url=BASE_URL, httpx_args={"transport": self.transport})

    def signed_in(self, token: str) -> Any:
        client_module = importlib.import_module(f"{PACKAGE}.client")
        return client_module.AuthenticatedClient(
            base_url=BASE_URL, token=token, httpx_args={"transport": self.transport}
        )

    async def call(self, operation_id: str, client: Any, **kwargs: Any) -> Any:
        function = importlib.import_module(self.modules[operation_id]).asyncio_detailed
        if isinstance(kwargs.get("body"), dict):
            kwargs["body"] = _model_of(typing.get_type_hints(function)["body"]).from_dict(
                kwargs["body"]
            )
        return await function(client=client, **kwargs)


def _model_of(annotation: Any) -> Any:
    """The generated model class in a body annotation (`X` or `X | Unset`)."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if hasattr(candidate, "from_dict"):
            return candidate
    raise AssertionError(f"no model in {annotation}")


def _national_id(serial: int) -> str:
    first12 = f"3{serial:011d}"
    total = sum(int(digit) * (13 - i) for i, digit in enumerate(first12))
    return first12 + str((11 - total % 11) % 10)


TIP = {
    "province_code": "40",
    "category": "bribery",
    "description": "เจ้าหน้าที่เรียกรับเงินสามพันบาทเพื่อเร่งออกใบอนุญาตทำงานให้แรงงานข้ามชาติ",
}


async def test_a_partner_session_through_the_generated_client(
    app: FastAPI, generated_client: GeneratedClient, create_account: CreateAccount
) -> None:
    partner = Partner(generated_client, app)
    async with partner.anonymous() as anonymous:
        # An anonymous tip, with a plain Client (no token), and its follow-up by receipt.
        created = await partner.call("tips_create", anonymous, body=TIP)
        assert created.status_code == HTTPStatus.CREATED, created.content
        receipt = created.parsed.receipt
        assert isinstance(receipt, str)
        followed = await partner.call("tips_follow_up", anonymous, body={"receipt": receipt})
        assert followed.status_code == HTTPStatus.OK, followed.content
        assert followed.parsed.reference == created.parsed.reference
        another = await partner.call("tips_create", anonymous, body=TIP)
        assert another.status_code == HTTPStatus.CREATED, another.content

        # An officer signs in (the OAuth2 form) and reads the tips one page at a time.
        await create_account("officer.kk", PASSWORD, Role.PROVINCIAL_OFFICER, "40")
        form = {"grant_type": "password", "username": "officer.kk", "password": PASSWORD}
        signed_in = await partner.call("auth_token", anonymous, body=form)
        assert signed_in.status_code == HTTPStatus.OK, signed_in.content
        officer_token = signed_in.parsed.access_token

        # A volunteer applies anonymously.
        application = {
            "full_name_th": "นายสมชาย ใจดี",
            "national_id": _national_id(40_017),
            "date_of_birth": "1985-04-12",
            "phone": "081-234-5678",
            "province_code": "40",
        }
        applied = await partner.call("volunteers_apply", anonymous, body=application)
        assert applied.status_code == HTTPStatus.CREATED, applied.content
        volunteer_id = applied.parsed.id

    async with partner.signed_in(officer_token) as officer:
        first = await partner.call("tips_list", officer, limit=1)
        assert first.status_code == HTTPStatus.OK, first.content
        assert len(first.parsed.items) == 1
        assert isinstance(first.parsed.next_cursor, str)
        second = await partner.call("tips_list", officer, limit=1, cursor=first.parsed.next_cursor)
        assert second.status_code == HTTPStatus.OK, second.content
        pages = [first.parsed.items[0].id, second.parsed.items[0].id]
        assert sorted(pages) == sorted([another.parsed.id, created.parsed.id])

        # The officer approves the application: the one-time code comes back typed.
        approved = await partner.call(
            "volunteers_approve", officer, volunteer_id=volunteer_id, body={"reason": "ครบ"}
        )
        assert approved.status_code == HTTPStatus.OK, approved.content
        assert approved.parsed is not None, "the approval's response model is missing"
        assert isinstance(approved.parsed.activation_code, str)
        assert approved.parsed.activation_code

    # An auditor verifies the audit chain.
    await create_account("auditor.one", PASSWORD, Role.AUDITOR)
    async with partner.anonymous() as anonymous:
        form = {"grant_type": "password", "username": "auditor.one", "password": PASSWORD}
        auditor_token = (await partner.call("auth_token", anonymous, body=form)).parsed
    async with partner.signed_in(auditor_token.access_token) as auditor:
        verified = await partner.call("audit_log_verify", auditor)
        assert verified.status_code == HTTPStatus.OK, verified.content
        assert verified.parsed.valid is True
        assert verified.parsed.checked > 0
