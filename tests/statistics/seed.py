"""Raw rows for the statistics tests, written with plain SQL (the triggers count them as
they would count the repositories' writes), and the plain recounts over those rows that
the summary path must agree with."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.tips.deadlines import DeadlineRules

RULES = DeadlineRules()
OFFICER_ID = uuid.UUID("00000000-0000-0000-0000-00000000abcd")


async def add_officer(conn: AsyncConnection) -> uuid.UUID:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    await conn.execute(
        text(
            "INSERT INTO accounts (id, username, display_name, role, is_active,"
            " must_change_password, failed_logins, created_at, updated_at, version)"
            " VALUES (:id, 'stats-officer', 'Stats', 'central_officer', true, false, 0,"
            " :now, :now, 1) ON CONFLICT DO NOTHING"
        ),
        {"id": OFFICER_ID, "now": now},
    )
    return OFFICER_ID


async def add_tip(
    conn: AsyncConnection,
    *,
    province: str,
    received_at: datetime,
    category: str = "bribery",
    channel: str = "web",
    status: str = "received",
    outcome: str | None = None,
    acknowledged_at: datetime | None = None,
    first_feedback_at: datetime | None = None,
) -> uuid.UUID:
    tip_id = uuid.uuid4()
    ack_due = RULES.ack_due(received_at)
    await conn.execute(
        text(
            "INSERT INTO tips (id, reference, province_code, category, channel, status, outcome,"
            " received_at, ack_due_at, feedback_due_at, acknowledged_at, first_feedback_at,"
            " description, version) VALUES (:id, :ref, :province, :category, :channel, :status,"
            " :outcome, :received, :ack_due, :fb_due, :ack, :fb, :d, 1)"
        ),
        {
            "id": tip_id,
            "ref": f"T-{tip_id.hex[:16]}",
            "province": province,
            "category": category,
            "channel": channel,
            "status": status,
            "outcome": outcome,
            "received": received_at,
            "ack_due": ack_due,
            "fb_due": RULES.feedback_due(acknowledged_at=acknowledged_at, ack_due_at=ack_due),
            "ack": acknowledged_at,
            "fb": first_feedback_at,
            "d": b"sealed",
        },
    )
    return tip_id


async def add_investigation(
    conn: AsyncConnection,
    *,
    province: str,
    created_at: datetime,
    status: str = "open",
    outcome: str | None = None,
    concluded_at: datetime | None = None,
    damage: Decimal | None = None,
    recovered: Decimal | None = None,
) -> uuid.UUID:
    inv_id = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO investigations (id, reference, lead_province_code, priority, status,"
            " outcome, created_at, created_by, updated_at, concluded_at, title, version,"
            " damage_estimated_thb, amount_recovered_thb) VALUES (:id, :ref, :province,"
            " 'normal', :status, :outcome, :created, :by, :created, :concluded, :t, 1,"
            " :damage, :recovered)"
        ),
        {
            "id": inv_id,
            "ref": f"I-{inv_id.hex[:16]}",
            "province": province,
            "status": status,
            "outcome": outcome,
            "created": created_at,
            "by": OFFICER_ID,
            "concluded": concluded_at,
            "t": b"sealed",
            "damage": damage,
            "recovered": recovered,
        },
    )
    return inv_id


async def add_referral(
    conn: AsyncConnection,
    *,
    investigation_id: uuid.UUID,
    agency: str,
    status: str,
    created_at: datetime,
) -> None:
    await conn.execute(
        text(
            "INSERT INTO referrals (id, investigation_id, agency_code, status, summary,"
            " created_at, created_by, updated_at, version) VALUES (:id, :inv, :agency,"
            " :status, :s, :at, :by, :at, 1)"
        ),
        {
            "id": uuid.uuid4(),
            "inv": investigation_id,
            "agency": agency,
            "status": status,
            "s": b"sealed",
            "at": created_at,
            "by": OFFICER_ID,
        },
    )


async def add_volunteer(
    conn: AsyncConnection, *, province: str, status: str, trainings: int, applied_at: datetime
) -> None:
    await conn.execute(
        text(
            "INSERT INTO volunteers (id, full_name_th, province_code, status, trainings_count,"
            " applied_at, created_at, updated_at, version) VALUES (:id, 'อาสา ทดสอบ', :province,"
            " :status, :trainings, :at, :at, :at, 1)"
        ),
        {
            "id": uuid.uuid4(),
            "province": province,
            "status": status,
            "trainings": trainings,
            "at": applied_at,
        },
    )


PROVINCES = ("10", "40", "50", "90", "38")
CATEGORIES = ("bribery", "extortion", "fund_fraud", "other")
CHANNELS = ("web", "mobile", "hotline")
OUTCOMES = ("substantiated", "unsubstantiated", "referred", "insufficient_evidence")


@dataclass
class Seeded:
    tips: int
    investigations: int


async def seed_random(conn: AsyncConnection, *, now: datetime, count: int = 240) -> Seeded:
    """Tips over two fiscal years (many near month and year boundaries in Bangkok),
    some acknowledged or fed back (on time or late), investigations and referrals."""
    rng = random.Random(14)
    await add_officer(conn)
    start = datetime(2024, 9, 1, tzinfo=UTC)
    tip_ids = []
    for i in range(count):
        if i % 6 == 0:  # around a Bangkok midnight at a month's turn (UTC 17:00)
            month = rng.randrange(0, 24)
            turn = datetime(2024 + (8 + month) // 12, (8 + month) % 12 + 1, 1, tzinfo=UTC)
            received = turn - timedelta(hours=7) + timedelta(minutes=rng.randrange(-90, 90))
        else:
            received = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 800))
        if received > now:
            received = now - timedelta(hours=rng.randrange(1, 2000))
        ack = None
        if rng.random() < 0.75:
            ack = received + timedelta(minutes=rng.randrange(0, 60 * 24 * 12))
            ack = min(ack, now)
        feedback = None
        if ack is not None and rng.random() < 0.6:
            feedback = min(ack + timedelta(minutes=rng.randrange(0, 60 * 24 * 120)), now)
        status = "received" if ack is None else rng.choice(["acknowledged", "in_review", "closed"])
        tip_ids.append(
            await add_tip(
                conn,
                province=rng.choice(PROVINCES),
                received_at=received,
                category=rng.choice(CATEGORIES),
                channel=rng.choice(CHANNELS),
                status=status,
                outcome=rng.choice(["substantiated", "duplicate"]) if status == "closed" else None,
                acknowledged_at=ack,
                first_feedback_at=feedback,
            )
        )
    investigations = 0
    for _ in range(count // 4):
        created = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 760))
        created = min(created, now - timedelta(days=1))
        concluded = None
        if rng.random() < 0.6:
            concluded = min(created + timedelta(hours=rng.randrange(1, 24 * 200)), now)
        inv = await add_investigation(
            conn,
            province=rng.choice(PROVINCES),
            created_at=created,
            status="concluded" if concluded else rng.choice(["open", "in_progress", "on_hold"]),
            outcome=rng.choice(OUTCOMES) if concluded else None,
            concluded_at=concluded,
            damage=Decimal(rng.randrange(0, 100000)) if concluded and rng.random() < 0.5 else None,
            recovered=Decimal(rng.randrange(0, 5000)) if concluded and rng.random() < 0.3 else None,
        )
        investigations += 1
        if rng.random() < 0.4:
            await add_referral(
                conn,
                investigation_id=inv,
                agency=rng.choice(["NACC", "PACC", "DSI"]),
                status=rng.choice(["referred", "accepted", "prosecuted"]),
                created_at=created + timedelta(days=1),
            )
    for _ in range(60):
        await add_volunteer(
            conn,
            province=rng.choice(PROVINCES),
            status=rng.choice(["applied", "active", "active", "suspended"]),
            trainings=rng.choice([0, 0, 1, 2]),
            applied_at=start + timedelta(minutes=rng.randrange(0, 60 * 24 * 760)),
        )
    # Later writes move the counts too: acknowledge, feed back, close some tips late.
    await conn.execute(
        text(
            "UPDATE tips SET acknowledged_at = received_at + interval '9 days',"
            " status = 'acknowledged', version = version + 1"
            " WHERE id = ANY(:ids) AND acknowledged_at IS NULL"
            " AND received_at + interval '9 days' < :now"
        ),
        {"ids": tip_ids[::7], "now": now},
    )
    await conn.execute(
        text(
            "UPDATE tips SET first_feedback_at = acknowledged_at + interval '2 days'"
            " WHERE id = ANY(:ids) AND acknowledged_at IS NOT NULL AND first_feedback_at IS NULL"
            " AND acknowledged_at + interval '2 days' < :now"
        ),
        {"ids": tip_ids[::5], "now": now},
    )
    await conn.execute(
        text("UPDATE tips SET version = version + 1 WHERE id = ANY(:ids)"), {"ids": tip_ids[::3]}
    )
    return Seeded(tips=count, investigations=investigations)


async def recount(conn: AsyncConnection, sql: str, **params: Any) -> list[Any]:
    return list((await conn.execute(text(sql), params)).all())
