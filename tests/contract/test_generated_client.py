"""The app driven end to end through a client generated from `openapi/openapi.json`.

What a partner agency does: generate a Python client with openapi-python-client from the
committed document, then use its typed models only (no raw JSON). If the document
drops a schema, names a model after a module path, demands a token where none is
needed, or describes a body or discriminator wrongly, these stories break.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus
from typing import Any

import pytest
from fastapi import FastAPI

from domain.clock import FrozenClock
from domain.policy import Role
from tests.audit_checks import remember_secret
from tests.conftest import CreateAccount
from tests.contract.conftest import GenerationResult
from tests.contract.generated_client import GeneratedClient, import_client

ADMIN_PASSWORD = "an admin's long passphrase"
OFFICER_PASSWORD = "khon kaen office 2569"
AUDITOR_PASSWORD = "audit the chain 2569"
VOLUNTEER_PASSWORD = "ดวงตาแรงงาน ขอนแก่น 2569"
DESCRIPTION = (
    "นายหน้าเรียกเก็บค่าหัวคิวจากแรงงานที่จะไปทำงานต่างประเทศคนละ 30,000 บาท โดยอ้างว่าเป็นค่าดำเนินการของสำนักงาน"
)


@pytest.fixture(scope="session")
def generated(generated_client: GenerationResult) -> GeneratedClient:
    """The client the gates generate (once per document version), imported."""
    assert generated_client.returncode == 0, generated_client.log
    return import_client(generated_client.package, generated_client.log)


@pytest.fixture
async def clients(
    app: FastAPI, generated: GeneratedClient
) -> AsyncIterator[Callable[[str | None], Any]]:
    """`clients(None)`: a plain `Client`; `clients(token)`: an `AuthenticatedClient`.
    Every client made is closed at the end of the test."""
    made: list[Any] = []

    def make(token: str | None) -> Any:
        client = generated.anonymous(app) if token is None else generated.signed_in(app, token)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.get_async_httpx_client().aclose()


def _tip(generated: GeneratedClient, description: str = DESCRIPTION) -> Any:
    m = generated.models
    return m.TipCreate(
        province_code="40",
        category=m.TipCategory.ILLEGAL_RECRUITMENT_FEES,
        description=description,
        accused=m.TipAccusedIn(
            office="สำนักงานจัดหางานจังหวัดขอนแก่น",
            position="เจ้าหน้าที่ทะเบียน",
            is_provincial_labour_office=False,
        ),
        incident_period_start=dt.date(2026, 10, 1),
        incident_period_end=dt.date(2026, 10, 31),
        location="อำเภอเมืองขอนแก่น",
        amount_thb="30000.00",
        channel=m.TipChannel.WEB,
    )


async def _sign_in(generated: GeneratedClient, anonymous: Any, username: str, password: str) -> str:
    """The OAuth2 password flow through the generated form model; returns the token."""
    m = generated.models
    auth_token = generated.operation("auth", "auth_token")
    response = await auth_token.asyncio_detailed(
        client=anonymous,
        body=m.TokenRequest(
            username=username, password=password, grant_type=m.TokenRequestGrantType.PASSWORD
        ),
    )
    assert response.status_code == HTTPStatus.OK
    tokens = response.parsed
    assert isinstance(tokens, m.TokenPublic)
    assert tokens.token_type == "bearer"
    token: str = tokens.access_token
    return token


@pytest.mark.parametrize(
    ("tag", "operation_id"),
    [
        ("auth", "auth_token"),
        ("auth", "auth_refresh"),
        ("provinces", "provinces_list"),
        ("tips", "tips_follow_up"),
        ("tips", "tips_follow_up_message"),
        ("volunteers", "volunteers_apply"),
        ("volunteers", "volunteers_activate"),
    ],
)
def test_public_operations_take_a_client_without_a_token(
    generated: GeneratedClient, tag: str, operation_id: str
) -> None:
    """Operations for anyone declare `security: []`, so the generator types `client` as
    `AuthenticatedClient | Client`.

    openapi-python-client 0.29.1 types an operation with optional sign-in (`[{}, {...}]`,
    tip submission) as `AuthenticatedClient`; a plain `Client` works there at run time,
    as the stories below show.
    """
    function = generated.operation(tag, operation_id).asyncio_detailed
    accepted = typing.get_args(typing.get_type_hints(function)["client"])
    assert generated.package.Client in accepted, (operation_id, accepted)


async def test_an_anonymous_reporter_submits_and_follows_up_without_a_token(
    generated: GeneratedClient, clients: Callable[[str | None], Any]
) -> None:
    m = generated.models
    tips_create = generated.operation("tips", "tips_create")
    tips_follow_up = generated.operation("tips", "tips_follow_up")
    reporter = clients(None)  # a plain Client: no token at all
    key = "3f0d6c1e-8a2b-4d5f-9e7c-1b2a3c4d5e6f"

    first = await tips_create.asyncio_detailed(
        client=reporter, body=_tip(generated), idempotency_key=key
    )
    assert first.status_code == HTTPStatus.CREATED
    created = first.parsed
    assert isinstance(created, m.TipCreated)
    assert created.status == m.TipStatus.RECEIVED
    assert created.reference.startswith("TIP-")
    assert isinstance(created.receipt, str)
    assert "idempotent-replayed" not in first.headers

    retry = await tips_create.asyncio_detailed(
        client=reporter, body=_tip(generated), idempotency_key=key
    )
    assert retry.status_code == HTTPStatus.CREATED
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.parsed.id == created.id
    assert retry.parsed.receipt == created.receipt

    followed = await tips_follow_up.asyncio(
        client=reporter, body=m.TipFollowUpRequest(receipt=created.receipt)
    )
    assert isinstance(followed, m.TipFollowUpPublic)
    assert followed.reference == created.reference
    assert followed.status == m.TipStatus.RECEIVED
    assert followed.history == []
    assert followed.messages == []

    wrong = await tips_follow_up.asyncio_detailed(
        client=reporter, body=m.TipFollowUpRequest(receipt="AAAA-AAAA-AAAA-AAAA-AAAA")
    )
    assert wrong.status_code == HTTPStatus.NOT_FOUND
    assert isinstance(wrong.parsed, m.Problem)
    assert wrong.parsed.type_ == "urn:duangta:problem:not-found"


async def test_officers_volunteers_and_auditors_through_the_generated_client(
    generated: GeneratedClient,
    clients: Callable[[str | None], Any],
    create_account: CreateAccount,
    clock: FrozenClock,
) -> None:
    m = generated.models
    op = generated.operation
    anonymous = clients(None)

    # An admin creates a provincial officer for Khon Kaen and an auditor.
    await create_account("admin", ADMIN_PASSWORD, Role.ADMIN)
    admin = clients(await _sign_in(generated, anonymous, "admin", ADMIN_PASSWORD))
    users_create = op("users", "users_create")
    officer_account = await users_create.asyncio(
        client=admin,
        body=m.UserCreate(
            username="somchai.k",
            password=OFFICER_PASSWORD,
            display_name="สมชาย ก.",
            role=m.Role.PROVINCIAL_OFFICER,
            province_code="40",
        ),
    )
    assert isinstance(officer_account, m.UserPublic)
    assert officer_account.role == m.Role.PROVINCIAL_OFFICER
    auditor_account = await users_create.asyncio(
        client=admin,
        body=m.UserCreate(
            username="malee.a",
            password=AUDITOR_PASSWORD,
            display_name="มาลี อ.",
            role=m.Role.AUDITOR,
        ),
    )
    assert isinstance(auditor_account, m.UserPublic)

    # Two anonymous tips; the officer pages through them one at a time.
    tips_create = op("tips", "tips_create")
    older = await tips_create.asyncio(client=anonymous, body=_tip(generated))
    clock.advance(dt.timedelta(minutes=5))
    newer = await tips_create.asyncio(
        client=anonymous,
        body=_tip(generated, "เจ้าหน้าที่ขอเงินห้าพันบาทเพื่อเร่งออกใบอนุญาตทำงานให้แรงงานต่างด้าว"),
    )
    assert isinstance(older, m.TipCreated)
    assert isinstance(newer, m.TipCreated)
    officer = clients(await _sign_in(generated, anonymous, "somchai.k", OFFICER_PASSWORD))
    tips_list = op("tips", "tips_list")
    first_page = await tips_list.asyncio(client=officer, limit=1)
    assert isinstance(first_page, m.TipSummaryPage)
    assert [tip.id for tip in first_page.items] == [newer.id]
    assert isinstance(first_page.items[0], m.TipSummaryPublic)
    assert isinstance(first_page.next_cursor, str)
    second_page = await tips_list.asyncio(client=officer, limit=1, cursor=first_page.next_cursor)
    assert isinstance(second_page, m.TipSummaryPage)
    assert [tip.id for tip in second_page.items] == [older.id]
    assert second_page.next_cursor is None

    # Acknowledging needs no body (an optional body the client may leave out).
    acknowledged = await op("tips", "tips_acknowledge").asyncio(older.id, client=officer)
    assert isinstance(acknowledged, m.TipSummaryPublic)
    assert acknowledged.status == m.TipStatus.ACKNOWLEDGED
    record = await op("tips", "tips_get").asyncio(older.id, client=officer)
    assert isinstance(record, m.TipPublic)  # the discriminator `view` picked the full record
    assert record.view == "full"
    assert record.amount_thb == "30000.00"
    assert record.accused.office == "สำนักงานจัดหางานจังหวัดขอนแก่น"
    followed = await op("tips", "tips_follow_up").asyncio(
        client=anonymous, body=m.TipFollowUpRequest(receipt=older.receipt)
    )
    assert isinstance(followed, m.TipFollowUpPublic)
    assert [type(change) for change in followed.history] == [m.TipStatusChangePublic]
    assert followed.history[0].to_status == m.TipStatus.ACKNOWLEDGED

    # A public volunteer application; the officer reads it, edits it with If-Match from
    # the ETag, and approves it, reading the one-time activation code from a typed model.
    applied = await op("volunteers", "volunteers_apply").asyncio_detailed(
        client=anonymous,
        body=m.VolunteerApplicationCreate(
            full_name_th="นายสมชาย ใจดี",
            full_name_en="Somchai Jaidee",
            national_id="1101700230708",
            date_of_birth=dt.date(1985, 4, 12),
            phone="081-234-5678",
            province_code="40",
            district="เมืองขอนแก่น",
            occupation="ลูกจ้างโรงงาน",
        ),
        idempotency_key="0c5a7e52-95d1-4c3b-a1f4-4b6f7e1d2c3a",
    )
    assert applied.status_code == HTTPStatus.CREATED
    application = applied.parsed
    assert isinstance(application, m.VolunteerApplicationPublic)
    assert application.national_id_masked == "*********0708"
    assert applied.headers["location"] == f"/api/v1/volunteers/{application.id}"

    read = await op("volunteers", "volunteers_get").asyncio_detailed(application.id, client=officer)
    assert isinstance(read.parsed, m.VolunteerPublic)
    assert read.parsed.status == m.VolunteerStatus.APPLIED
    assert read.headers["etag"] == f'"v{read.parsed.version}"'
    edited = await op("volunteers", "volunteers_update").asyncio_detailed(
        application.id,
        client=officer,
        body=m.VolunteerUpdate(occupation="ช่างเชื่อม"),
        if_match=read.headers["etag"],
    )
    assert edited.status_code == HTTPStatus.OK
    assert isinstance(edited.parsed, m.VolunteerPublic)
    assert edited.parsed.occupation == "ช่างเชื่อม"
    stale = await op("volunteers", "volunteers_update").asyncio_detailed(
        application.id,
        client=officer,
        body=m.VolunteerUpdate(occupation="ช่างไม้"),
        if_match=read.headers["etag"],
    )
    assert stale.status_code == HTTPStatus.PRECONDITION_FAILED
    assert isinstance(stale.parsed, m.Problem)

    approved = await op("volunteers", "volunteers_approve").asyncio_detailed(
        application.id,
        client=officer,
        body=m.TransitionRequest(reason="เอกสารครบถ้วน ผ่านการสัมภาษณ์"),
        idempotency_key="5b2e9d44-7c1a-4e8f-b3d6-2a9c8e7f6d5b",
    )
    assert approved.status_code == HTTPStatus.OK
    approval = approved.parsed
    assert isinstance(approval, m.VolunteerApprovalPublic)
    assert approval.status == m.VolunteerStatus.ACTIVE
    assert approved.headers["etag"] == f'"v{approval.version}"'
    assert isinstance(approval.activation_code, str)
    assert isinstance(approval.activation_expires_at, dt.datetime)
    assert [type(change) for change in approval.history] == [m.VolunteerStatusChangePublic] * 2

    activated = await op("volunteers", "volunteers_activate").asyncio(
        client=anonymous,
        body=m.ActivationRequest(
            activation_code=approval.activation_code,
            username="somchai.jaidee",
            password=VOLUNTEER_PASSWORD,
        ),
    )
    assert isinstance(activated, m.ActivationPublic)
    assert activated.account_id == approval.account_id
    assert activated.role == "volunteer"
    await _sign_in(generated, anonymous, "somchai.jaidee", VOLUNTEER_PASSWORD)

    # The auditor reads the newest entries and verifies the whole chain.
    auditor = clients(await _sign_in(generated, anonymous, "malee.a", AUDITOR_PASSWORD))
    page = await op("audit", "audit_log_list").asyncio(client=auditor, limit=5)
    assert isinstance(page, m.AuditEntryPage)
    assert len(page.items) == 5
    assert isinstance(page.next_cursor, str)
    assert page.items[0].action == "auth.login_succeeded"
    assert page.items[0].actor_id == str(auditor_account.id)
    verification = await op("audit", "audit_log_verify").asyncio(client=auditor)
    assert isinstance(verification, m.AuditVerificationPublic)
    assert verification.valid is True
    assert verification.first_broken_seq is None
    assert verification.checked == verification.to_seq >= page.items[0].seq


async def test_an_api_client_through_the_generated_client(
    generated: GeneratedClient,
    clients: Callable[[str | None], Any],
    create_account: CreateAccount,
) -> None:
    """An admin registers a PACC client; the client gets a token with the client
    credentials grant (form fields) and lists its agency's referrals, all typed."""
    m = generated.models
    op = generated.operation
    anonymous = clients(None)
    await create_account("admin", ADMIN_PASSWORD, Role.ADMIN)
    admin = clients(await _sign_in(generated, anonymous, "admin", ADMIN_PASSWORD))
    registered = await op("clients", "clients_create").asyncio(
        client=admin,
        body=m.ClientCreate(
            name="PACC case system",
            agency_code="PACC",
            scopes=[m.ClientScope.REFERRALSREAD],
        ),
    )
    assert isinstance(registered, m.ClientSecretPublic)
    remember_secret(registered.client_secret)
    tokens = await op("auth", "auth_token").asyncio(
        client=anonymous,
        body=m.TokenRequest(
            grant_type=m.TokenRequestGrantType.CLIENT_CREDENTIALS,
            client_id=str(registered.client.id),
            client_secret=registered.client_secret,
        ),
    )
    assert isinstance(tokens, m.TokenPublic)
    assert tokens.scope == "referrals:read"
    remember_secret(tokens.access_token)
    pacc = clients(tokens.access_token)
    page = await op("referrals", "referrals_list").asyncio(client=pacc)
    assert isinstance(page, m.ReferralSummaryPage)
    assert page.items == []
    refused = await op("clients", "clients_list").asyncio_detailed(client=pacc)
    assert refused.status_code == HTTPStatus.FORBIDDEN
