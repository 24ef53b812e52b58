"""Shared pieces of the tips API tests."""

from __future__ import annotations

from typing import Any

DESCRIPTION = "เจ้าหน้าที่จัดหางานเรียกรับเงินสามพันบาทเพื่อเร่งออกใบอนุญาตทำงานให้แรงงานข้ามชาติ"
ACCUSED_NAME = "นายสมชาย ใจร้าย"
CONTACT_PHONE = "0812345678"


def tip_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "province_code": "40",
        "category": "bribery",
        "description": DESCRIPTION,
        "accused": {
            "office": "สำนักงานจัดหางานจังหวัด",
            "person_name": ACCUSED_NAME,
            "position": "นักวิชาการแรงงาน",
            "is_provincial_labour_office": False,
        },
        "incident_period_start": "2026-10-01",
        "incident_period_end": "2026-10-31",
        "location": "อำเภอเมือง",
        "amount_thb": "3000.00",
        "channel": "mobile",
        "contact": {"name": "ผู้แจ้ง", "phone": CONTACT_PHONE, "email": None},
    }
    body.update(overrides)
    return body
