"""Shared pieces of the investigations API tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.tips.helpers import tip_body

INVESTIGATIONS = "/api/v1/investigations"
TITLE = "เรียกรับเงินค่าใบอนุญาตทำงาน นายสมปอง ทุจริตดี"
NOTE = "บันทึกภายใน: สัมภาษณ์พยานรายที่สองแล้ว"
FINDINGS = "ผลการสอบ: พบการโอนเงินเข้าบัญชีนายสมปอง"
REASON = "เหตุผลภายใน: รวบรวมพยานหลักฐานครบ"
EVIDENCE: dict[str, Any] = {
    "item": "สำเนารายการเดินบัญชีธนาคาร",
    "source": "ผู้แจ้งเรื่องส่งทางไปรษณีย์",
    "location": "ตู้นิรภัย ชั้น 3",
    "custodian": "นางสาวสุดา รักษ์ดี",
    "obtained_at": "2026-12-05T02:30:00Z",
}
#: Everything above: none of it may reach a reporter or the audit log.
CONFIDENTIAL = [TITLE, NOTE, FINDINGS, REASON, *(v for v in EVIDENCE.values() if "-" not in v)]


async def triaged_tip(
    client: httpx.AsyncClient,
    officer: dict[str, str],
    reporter: dict[str, str] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A tip submitted (anonymously unless `reporter` headers are given), acknowledged and
    in review: ready for an investigation. Returns the submission's answer."""
    created = await client.post("/api/v1/tips", json=tip_body(**overrides), headers=reporter)
    assert created.status_code == 201, created.text
    tip: dict[str, Any] = created.json()
    for step in ("acknowledge", "review"):
        moved = await client.post(f"/api/v1/tips/{tip['id']}/{step}", headers=officer, json={})
        assert moved.status_code == 200, moved.text
    return tip


async def open_case(
    client: httpx.AsyncClient, officer: dict[str, str], tip_ids: list[str], **body: Any
) -> httpx.Response:
    payload: dict[str, Any] = {"title": TITLE, "tip_ids": tip_ids, **body}
    return await client.post(INVESTIGATIONS, json=payload, headers=officer)


async def opened(
    client: httpx.AsyncClient, officer: dict[str, str], tip_ids: list[str], **body: Any
) -> dict[str, Any]:
    response = await open_case(client, officer, tip_ids, **body)
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case


def if_match(response_or_etag: httpx.Response | str, headers: dict[str, str]) -> dict[str, str]:
    etag = (
        response_or_etag if isinstance(response_or_etag, str) else response_or_etag.headers["etag"]
    )
    return {**headers, "If-Match": etag}


async def move(
    client: httpx.AsyncClient,
    case_id: str,
    name: str,
    headers: dict[str, str],
    etag: str,
    **body: Any,
) -> httpx.Response:
    payload = {"reason": REASON, **body}
    return await client.post(
        f"{INVESTIGATIONS}/{case_id}/{name}", json=payload, headers=if_match(etag, headers)
    )
