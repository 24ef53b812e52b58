"""The benchmark's seeded audit chain verifies with the service's own verifier (no database)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bench.config import Secrets
from bench.seed import AccountRef, Plan, _year_starts, generate_audit, to_us
from domain.audit.model import GENESIS_HASH, AuditEntry
from domain.audit.use_cases import ChainVerifier


def test_seeded_chain_verifies() -> None:
    official = AccountRef(uuid.uuid4(), "central_officer", None)
    local = AccountRef(uuid.uuid4(), "provincial_officer", "40")
    auditor = AccountRef(uuid.uuid4(), "auditor", None)
    end = datetime(2026, 11, 1, tzinfo=UTC)
    key = base64.b64encode(b"k" * 32).decode()
    plan = Plan(
        dsn="",
        keys=Secrets(jwt_secret="x" * 40, data_kid="t1", data_key=key, hash_key=key),
        seed=b"test-seed-000000",
        tips=300,
        audit_entries=1000,
        start_us=to_us(end - timedelta(days=730)),
        end_us=to_us(end),
        provinces=(("10", "กรุงเทพมหานคร"), ("40", "ขอนแก่น")),
        province_weights=(10.0, 11.0),
        officials_by_province={"40": (local,)},
        central=(official,),
        volunteer_accounts=(),
        auditors=(auditor,),
        accounts=(official, local, auditor),
    )
    plan = replace(plan, year_starts=_year_starts(plan))
    rows = [row for batch in generate_audit(plan) for row in batch]

    verifier = ChainVerifier(1, len(rows), GENESIS_HASH)
    for seq, at, actor, role, action, etype, eid, province, request, details, prev, digest in rows:
        entry = AuditEntry(
            seq=seq,
            occurred_at=at,
            actor_id=actor,
            actor_role=role,
            action=action,
            entity_type=etype,
            entity_id=eid,
            province_code=province,
            request_id=request,
            details=json.loads(details),
            prev_hash=prev,
            hash=digest,
        )
        assert verifier.feed(entry), verifier.result()
    result = verifier.result()
    assert result.valid
    assert result.checked == len(rows) == 1000
    times = [row[1] for row in rows]
    assert times == sorted(times)
    assert sum(row[4] == "tip.submitted" for row in rows) == 300
