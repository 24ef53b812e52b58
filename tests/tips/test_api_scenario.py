"""The issue's story: an anonymous citizen on a flaky connection, a provincial officer,
and nothing about the tip leaking into the audit log or the logs."""

from __future__ import annotations

import json
import logging
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.logging import JsonFormatter
from domain.policy import Role
from tests.conftest import LoginAs, assert_problem
from tests.tips.helpers import ACCUSED_NAME, CONTACT_PHONE, DESCRIPTION, tip_body


async def test_anonymous_tip_from_submission_to_outcome(
    client: httpx.AsyncClient,
    login_as: LoginAs,
    db: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    officer = await login_as(Role.PROVINCIAL_OFFICER, "41")
    body = tip_body(province_code="41")
    key = {"Idempotency-Key": str(uuid.uuid4())}

    # A flaky connection: the same request arrives three times.
    answers = [await client.post("/api/v1/tips", json=body, headers=key) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    first = answers[0].json()
    assert "idempotent-replayed" not in answers[0].headers
    for again in answers[1:]:
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first
    assert first["reference"].startswith("TIP-25")
    assert first["status"] == "received"
    receipt = first["receipt"]
    assert len(receipt.replace("-", "")) == 20
    listed = await client.get("/api/v1/tips", headers=officer)
    assert [t["id"] for t in listed.json()["items"]] == [first["id"]]
    tip_id = first["id"]

    # The reporter checks in: received, nothing to read yet.
    follow = await client.post("/api/v1/tips/follow-up", json={"receipt": receipt})
    assert follow.status_code == 200
    assert follow.json()["status"] == "received"
    assert follow.json()["messages"] == []

    # The provincial officer acknowledges and asks a question.
    ack = await client.post(f"/api/v1/tips/{tip_id}/acknowledge", headers=officer, json={})
    assert ack.status_code == 200
    assert ack.json()["status"] == "acknowledged"
    assert ack.json()["ack_status"] == "met"
    question = await client.post(
        f"/api/v1/tips/{tip_id}/messages",
        headers=officer,
        json={"body": "ช่วยระบุวันที่เกิดเหตุได้ไหมครับ"},
    )
    assert question.status_code == 201
    note = await client.post(
        f"/api/v1/tips/{tip_id}/messages",
        headers=officer,
        json={"body": "บันทึกภายใน: ตรวจสอบกับฝ่ายบุคคล", "internal": True},
    )
    assert note.status_code == 201

    # The reporter answers through the receipt (typed sloppily), without the internal note.
    sloppy = receipt.lower().replace("-", " ")
    follow = await client.post("/api/v1/tips/follow-up", json={"receipt": sloppy})
    assert [m["body"] for m in follow.json()["messages"]] == ["ช่วยระบุวันที่เกิดเหตุได้ไหมครับ"]
    assert follow.json()["messages"][0]["author"] == "official"
    assert follow.json()["feedback_status"] == "met"
    answer = await client.post(
        "/api/v1/tips/follow-up/messages",
        json={"receipt": receipt, "body": "เกิดเหตุเมื่อวันที่ 3 ตุลาคม 2569"},
    )
    assert answer.status_code == 201

    # The officer reviews and closes with an outcome and a word for the reporter.
    assert (await client.post(f"/api/v1/tips/{tip_id}/review", headers=officer)).status_code == 200
    closed = await client.post(
        f"/api/v1/tips/{tip_id}/close",
        headers=officer,
        json={
            "outcome": "referred",
            "reason": "เหตุผลภายใน: เกินอำนาจสำนักงาน",
            "message": "ส่งเรื่องต่อให้ ป.ป.ท. แล้ว",
        },
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    again = await client.post(f"/api/v1/tips/{tip_id}/review", headers=officer)
    assert_problem(again, 409, "invalid-transition")

    # The reporter sees the outcome, the status changes and the messages.
    follow = (await client.post("/api/v1/tips/follow-up", json={"receipt": receipt})).json()
    assert follow["status"] == "closed"
    assert follow["outcome"] == "referred"
    assert [(h["from_status"], h["to_status"]) for h in follow["history"]] == [
        ("received", "acknowledged"),
        ("acknowledged", "in_review"),
        ("in_review", "closed"),
    ]
    assert "reason" not in json.dumps(follow["history"])
    assert [m["author"] for m in follow["messages"]] == ["official", "reporter", "official"]

    # The officer's full record carries the content and the history with reasons.
    record = (await client.get(f"/api/v1/tips/{tip_id}", headers=officer)).json()
    assert record["view"] == "full"
    assert record["description"] == DESCRIPTION
    assert record["accused"]["person_name"] == ACCUSED_NAME
    assert record["contact"] is None  # who reported it stays in the vault (tests/tips/
    assert record["reporter"] == {  # test_api_disclosures.py discloses it)
        "kind": "anonymous",
        "disclosed": False,
        "account_id": None,
        "recorded_by": None,
    }
    assert record["history"][-1]["reason"] == "เหตุผลภายใน: เกินอำนาจสำนักงาน"
    assert record["history"][-1]["outcome"] == "referred"

    # Every step is in the audit log, which holds no content, receipt or contact data.
    async with db.connect() as conn:
        audit = (
            await conn.execute(text("SELECT action, actor_id, details FROM audit_log ORDER BY seq"))
        ).all()
    actions = [row.action for row in audit]
    assert actions.count("tip.submitted") == 1
    for expected in (
        "tip.followed_up",
        "tip.acknowledged",
        "tip.message_added",
        "tip.review_started",
        "tip.closed",
        "tip.viewed",
    ):
        assert expected in actions, expected
    closed_entry = next(row for row in audit if row.action == "tip.closed")
    assert closed_entry.details["outcome"] == "referred"
    submitted = next(row for row in audit if row.action == "tip.submitted")
    assert submitted.actor_id == "anonymous"
    logged = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    audited = json.dumps([row.details for row in audit], ensure_ascii=False)
    secrets = [DESCRIPTION, ACCUSED_NAME, CONTACT_PHONE, receipt, receipt.replace("-", "")]
    secrets += ["เหตุผลภายใน", "ช่วยระบุวันที่", "เกิดเหตุเมื่อวันที่", "บันทึกภายใน"]
    for secret in secrets:
        assert secret not in audited, secret
        assert secret not in logged, secret
    # No client address in the logs of the anonymous submission and follow-ups.
    assert "127.0.0.1" not in logged
    assert "testclient" not in logged
