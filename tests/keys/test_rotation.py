"""Key rotation on a populated database, through the real app and the CLI's use cases.

Every sealed column of every feature is filled under the old keys (data key `d1`, hash
key `h1`); then both keys rotate (`d2`, `h2`, old ones still listed), `rotate-data-key`
and `rehash` run (in small batches, one of them interrupted half-way), and finally the
old keys are dropped: every tip, message, disclosure, investigation, referral and
volunteer still reads, an old receipt still follows up, a volunteer still lists their
own tips and is found by national ID, and the audit log holds one entry per run.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import LargeBinary, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.cli import generate_keys
from api.services import services_of
from api.settings import Environment, Settings
from auth.passwords import Argon2PasswordHasher
from domain.clock import FrozenClock
from domain.keys.use_cases import rehash, rotate_data_key
from domain.policy import Role
from persistence.crypto import unpack
from persistence.keys.repository import KEYED_HASH_COLUMNS, SEALED_COLUMNS
from persistence.uow import SqlUnitOfWork
from tests.conftest import LoginAs
from tests.investigations.helpers import move, opened, triaged_tip
from tests.tips.helpers import DESCRIPTION, tip_body
from tests.volunteers.helpers import application, approve, national_id

D1, D2, H1, H2 = (base64.b64encode(os.urandom(32)).decode() for _ in range(4))
PASSWORD = "volunteer passphrase 2569"


def keyed_settings(database_url: str, data: str, kid: str, hashes: str, hid: str) -> Settings:
    return Settings(
        _env_file=None,
        environment=Environment.TEST,
        database_url=database_url,
        database_pool_size=2,
        data_keys=data,
        data_key_id=kid,
        data_hash_keys=hashes,
        data_hash_key_id=hid,
    )


OLD = (f"d1:{D1}", "d1", f"h1:{H1}", "h1")
ROTATING = (f"d2:{D2},d1:{D1}", "d2", f"h2:{H2},h1:{H1}", "h2")
NEW = (f"d2:{D2}", "d2", f"h2:{H2}", "h2")


@asynccontextmanager
async def keyed_client(
    database_url: str, clock: FrozenClock, keys: tuple[str, str, str, str]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(
        keyed_settings(database_url, *keys),
        clock=clock,
        password_hasher=Argon2PasswordHasher(time_cost=1, memory_cost=1024),
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


def open_uow_of(app: FastAPI, clock: FrozenClock) -> Any:
    services = services_of(app)
    return lambda: SqlUnitOfWork(
        services.database.sessions(), clock=clock, keyring=services.keyring
    )


async def sealed_kids(db: AsyncEngine) -> dict[str, set[str]]:
    """The data key ids found in each sealed column (every non-null value)."""
    found: dict[str, set[str]] = {}
    async with db.connect() as conn:
        for name, spec in SEALED_COLUMNS.items():
            kid = f", {spec.kid_column}" if spec.kid_column else ""
            rows = await conn.execute(
                text(f"SELECT {spec.column}{kid} FROM {spec.table} WHERE {spec.column} IS NOT NULL")
            )
            found[name] = {
                str(row[1]) if spec.kid_column else unpack(bytes(row[0])).kid for row in rows
            }
    return found


async def hash_kids(db: AsyncEngine) -> dict[str, set[str | None]]:
    found: dict[str, set[str | None]] = {}
    async with db.connect() as conn:
        for name, spec in KEYED_HASH_COLUMNS.items():
            rows = await conn.execute(
                text(f"SELECT {spec.kid_column} FROM {spec.table} WHERE {spec.column} IS NOT NULL")
            )
            found[name] = {row[0] for row in rows}
    return found


async def populate(client: httpx.AsyncClient, login_as: LoginAs) -> dict[str, Any]:
    """Fill every sealed column and keyed hash of every feature."""
    central = await login_as(Role.CENTRAL_OFFICER)
    custodian = await login_as(Role.CENTRAL_OFFICER)
    officer = await login_as(Role.PROVINCIAL_OFFICER, "40")
    admin = await login_as(Role.ADMIN)

    # A volunteer (national ID hash, sealed ID and personal data) with an account...
    nid = national_id()
    applied = await client.post(
        "/api/v1/volunteers/applications", json=application(national_id=nid)
    )
    assert applied.status_code == 201, applied.text
    volunteer_id = applied.json()["id"]
    code = await approve(client, volunteer_id, officer)
    activated = await client.post(
        "/api/v1/volunteers/activate",
        json={"activation_code": code, "username": "somchai.kk", "password": PASSWORD},
    )
    assert activated.status_code == 200, activated.text
    signed_in = await client.post(
        "/api/v1/auth/token", data={"username": "somchai.kk", "password": PASSWORD}
    )
    volunteer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    # ... who reports a tip (sealed reporter, reporter hash).
    own = await client.post("/api/v1/tips", json=tip_body(contact=None), headers=volunteer)
    assert own.status_code == 201, own.text

    # An anonymous tip (receipt hash), acknowledged with a reason and a message.
    anonymous = await client.post("/api/v1/tips", json=tip_body())
    assert anonymous.status_code == 201, anonymous.text
    tip_id = anonymous.json()["id"]
    acknowledged = await client.post(
        f"/api/v1/tips/{tip_id}/acknowledge",
        json={"reason": "รับเรื่องแล้ว", "message": "ได้รับเรื่องของท่านแล้ว"},
        headers=central,
    )
    assert acknowledged.status_code == 200, acknowledged.text
    asked = await client.post(
        f"/api/v1/tips/{tip_id}/disclosure-requests",
        json={"reason": "ต้องสอบถามผู้แจ้งเพิ่มเติม"},
        headers=officer,
    )
    assert asked.status_code == 201, asked.text
    decided = await client.post(
        f"/api/v1/disclosure-requests/{asked.json()['id']}/approve",
        json={"reason": "จำเป็นต่อการสอบสวน"},
        headers=custodian,
    )
    assert decided.status_code == 200, decided.text

    # An investigation (title, findings, timeline), concluded and referred (summary).
    case_tip = await triaged_tip(client, central)
    case = await opened(client, central, [case_tip["id"]])
    note = await client.post(
        f"/api/v1/investigations/{case['id']}/notes", json={"body": "บันทึกภายใน"}, headers=central
    )
    assert note.status_code == 201, note.text
    started = await move(client, case["id"], "start", central, f'"v{case["version"]}"')
    concluded = await move(
        client,
        case["id"],
        "conclude",
        central,
        started.headers["etag"],
        outcome="referred",
        findings="พบหลักฐานการโอนเงิน",
    )
    assert concluded.status_code == 200, concluded.text
    referred = await client.post(
        f"/api/v1/investigations/{case['id']}/referrals",
        json={"agency_code": "NACC", "summary": "สรุปเรื่องส่งต่อ ป.ป.ช."},
        headers=central,
    )
    assert referred.status_code == 201, referred.text

    # A webhook endpoint (sealed signing secret), rotated (sealed previous secret). A
    # public address literal: registration resolves nothing and nothing is delivered here.
    endpoint = await client.post(
        "/api/v1/webhooks/endpoints",
        json={"url": "https://1.1.1.1/duangta", "agency_code": "NACC"},
        headers=admin,
    )
    assert endpoint.status_code == 201, endpoint.text
    rotated = await client.post(
        f"/api/v1/webhooks/endpoints/{endpoint.json()['id']}/rotate-secret", headers=admin
    )
    assert rotated.status_code == 200, rotated.text
    return {
        "admin": admin,
        "central": central,
        "volunteer_password": PASSWORD,
        "volunteer_id": volunteer_id,
        "national_id": nid,
        "receipts": [anonymous.json()["receipt"], case_tip["receipt"]],
        "tips": [own.json()["id"], tip_id, case_tip["id"]],
        "case_id": case["id"],
        "referral_id": referred.json()["id"],
    }


async def read_everything(
    client: httpx.AsyncClient, world: dict[str, Any], *, follow_up: bool = True
) -> None:
    admin, central = world["admin"], world["central"]
    for tip_id in world["tips"]:
        tip = await client.get(f"/api/v1/tips/{tip_id}", headers=admin)
        assert tip.status_code == 200, tip.text
        assert tip.json()["description"] == DESCRIPTION
        messages = await client.get(f"/api/v1/tips/{tip_id}/messages", headers=admin)
        assert messages.status_code == 200, messages.text
    requests = await client.get("/api/v1/disclosure-requests", headers=central)
    assert requests.status_code == 200, requests.text
    request_id = requests.json()["items"][0]["id"]
    request = await client.get(f"/api/v1/disclosure-requests/{request_id}", headers=central)
    assert request.status_code == 200, request.text
    assert request.json()["reason"]
    assert request.json()["decision_reason"]
    case = await client.get(f"/api/v1/investigations/{world['case_id']}", headers=central)
    assert case.status_code == 200, case.text
    timeline = await client.get(
        f"/api/v1/investigations/{world['case_id']}/timeline", headers=central
    )
    assert timeline.status_code == 200, timeline.text
    referral = await client.get(f"/api/v1/referrals/{world['referral_id']}", headers=central)
    assert referral.status_code == 200, referral.text
    volunteer = await client.get(f"/api/v1/volunteers/{world['volunteer_id']}", headers=admin)
    assert volunteer.status_code == 200, volunteer.text
    assert volunteer.json()["national_id"] == world["national_id"]
    for receipt in world["receipts"] if follow_up else []:
        followed = await client.post("/api/v1/tips/follow-up", json={"receipt": receipt})
        assert followed.status_code == 200, followed.text
    signed_in = await client.post(
        "/api/v1/auth/token",
        data={"username": "somchai.kk", "password": world["volunteer_password"]},
    )
    own = await client.get(
        "/api/v1/tips",
        headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"},
    )
    assert [t["id"] for t in own.json()["items"]] == [world["tips"][0]]


async def test_both_keys_rotate_on_a_populated_database_and_the_old_ones_are_dropped(
    app: FastAPI, db: AsyncEngine, clock: FrozenClock, database_url: str, login_as: LoginAs
) -> None:
    async with keyed_client(database_url, clock, OLD) as (_, client):
        world = await populate(client, login_as)
    assert all(kids == {"d1"} for kids in (await sealed_kids(db)).values()), "every column filled"
    assert all(kids == {"h1"} for kids in (await hash_kids(db)).values())

    async with keyed_client(database_url, clock, ROTATING) as (rotating, client):
        open_uow = open_uow_of(rotating, clock)
        # Interrupted half-way: one batch of one column, then a "crash". Every value still
        # reads (some under d1, some under d2).
        async with open_uow() as uow:
            partial = await uow.keys.reseal("tips.description", after=None, limit=1)
            await uow.commit()
        assert (partial.seen, partial.done) == (1, 1)
        assert (await sealed_kids(db))["tips.description"] == {"d1", "d2"}
        await read_everything(client, world, follow_up=False)

        resealed = await rotate_data_key(open_uow, batch_size=2)
        rehashed = await rehash(open_uow, batch_size=2)
        assert resealed.unreadable == rehashed.unreadable == 0
        # Every sealed value, minus the one done before the "crash", minus values written
        # by the reads (follow-up re-hashed nothing yet: rehash ran after).
        assert resealed.done >= len(SEALED_COLUMNS) - 1
        assert rehashed.done == 2  # the national ID and the volunteer-reporter hash
        assert all(kids == {"d2"} for kids in (await sealed_kids(db)).values())
        kids = await hash_kids(db)
        assert kids["volunteers.national_id_hash"] == kids["tips.reporter_hash"] == {"h2"}
        # A receipt's hash waits for its holder: nobody keeps the receipt.
        assert kids["tips.receipt_hash"] == {"h1"}
        assert rehashed.still_waiting == 2
        again = await rotate_data_key(open_uow, batch_size=2)  # idempotent: nothing left
        assert again.done == 0

        # The holders follow up with their old receipts: found under h1, moved to h2.
        await read_everything(client, world)
        assert (await hash_kids(db))["tips.receipt_hash"] == {"h2"}
        assert (await rehash(open_uow)).still_waiting == 0

    # The old keys are dropped: everything still reads and is still found.
    async with keyed_client(database_url, clock, NEW) as (new, client):
        await read_everything(client, world)
        async with open_uow_of(new, clock)() as uow:
            found = await uow.volunteers.find_by_national_id(world["national_id"])
        assert found == uuid.UUID(world["volunteer_id"])

    async with db.connect() as conn:
        runs = (
            await conn.execute(
                text(
                    "SELECT action, details FROM audit_log WHERE action LIKE 'keys.%' ORDER BY seq"
                )
            )
        ).all()
    assert [action for action, _ in runs] == [
        "keys.data_resealed",
        "keys.rehashed",
        "keys.data_resealed",
        "keys.rehashed",
    ]
    assert runs[0][1]["key_id"] == "d2"
    assert runs[0][1]["resealed"] == resealed.done
    assert set(runs[1][1]) == {
        "key_id",
        "rehashed",
        "unreadable",
        "columns",
        "awaiting_presentation",
    }


async def test_a_second_application_with_an_id_registered_under_the_old_hash_key_is_flagged(
    app: FastAPI, db: AsyncEngine, clock: FrozenClock, database_url: str
) -> None:
    """Mid-rotation the look-up for a registered ID tries every listed hash key: the second
    application is answered like any other (no oracle) and flagged for officers."""
    nid = national_id()
    async with keyed_client(database_url, clock, OLD) as (_, client):
        first = await client.post(
            "/api/v1/volunteers/applications", json=application(national_id=nid)
        )
        assert first.status_code == 201, first.text
    async with keyed_client(database_url, clock, ROTATING) as (_, client):
        second = await client.post(
            "/api/v1/volunteers/applications", json=application(national_id=nid)
        )
        assert second.status_code == 201, second.text
    async with db.connect() as conn:
        flagged = await conn.scalar(
            text("SELECT duplicate_of FROM volunteers WHERE id = :id"),
            {"id": uuid.UUID(second.json()["id"])},
        )
    assert flagged == uuid.UUID(first.json()["id"])


def test_generate_keys_prints_a_complete_production_block() -> None:
    block = generate_keys()
    values = dict(
        line.split("=", 1) for line in block.splitlines() if line and not line.startswith("#")
    )
    assert set(values) == {
        "ENVIRONMENT",
        "JWT_SECRET",
        "JWT_KID",
        "DATA_KEYS",
        "DATA_KEY_ID",
        "DATA_HASH_KEYS",
        "DATA_HASH_KEY_ID",
    }
    fields: dict[str, Any] = {name.lower(): value for name, value in values.items()}
    settings = Settings(_env_file=None, database_url="postgresql+asyncpg://u@h/db", **fields)
    assert settings.environment is Environment.PRODUCTION
    ring = settings.keyring()
    assert ring.current_kid == values["DATA_KEY_ID"]
    assert ring.hash_kid == values["DATA_HASH_KEY_ID"]
    assert generate_keys() != block  # fresh secrets every time


def test_every_sealed_column_is_declared_for_rotation() -> None:
    """A new bytea column of sealed values must join its repository's SEALED, or
    rotate-data-key would leave it under the old key."""
    import persistence.tables  # noqa: F401  (every table on the metadata)
    from persistence.base import metadata

    binary = {
        f"{table.name}.{column.name}"
        for table in metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    }
    # Sealed under a key derived from the idempotency key itself, not the data keys.
    assert binary - set(SEALED_COLUMNS) == {"idempotency_keys.outcome"}
    assert set(SEALED_COLUMNS) <= binary


def test_one_hash_key_or_hash_keys_by_id_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        Settings(
            _env_file=None,
            data_keys=f"d1:{D1}",
            data_key_id="d1",
            data_hash_key=H1,
            data_hash_keys=f"h1:{H1}",
        )
    legacy = Settings(_env_file=None, data_keys=f"d1:{D1}", data_key_id="d1", data_hash_key=H1)
    assert legacy.keyring().hash_key_ids == ["h1"]
    with pytest.raises(ValueError, match="current hash key"):
        Settings(
            _env_file=None,
            data_keys=f"d1:{D1}",
            data_key_id="d1",
            data_hash_keys=f"h1:{H1},h2:{H2}",
        )
