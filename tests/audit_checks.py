"""What the audit log must never hold, checked on the real table.

Every test that uses the database is followed by `assert_audit_clean` (an autouse fixture
in tests/conftest.py), so each feature's audit entries are scanned without extra code.
Tests that know secret values (passwords, tokens, receipts, national ids) register them
with `remember_secret`, or call `assert_audit_clean(engine, secrets=[...])` directly.
Tests on the in-memory unit of work call `assert_entries_clean(store.audit, secrets=...)`.
A test that writes forbidden data on purpose is marked `@pytest.mark.audit_dirty`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.audit.model import FORBIDDEN_DETAIL_KEYS, NATIONAL_ID_LIKE, AuditEntry

#: Secret values seen during the current test (cleared before each test).
KNOWN_SECRETS: set[str] = set()

#: In details: 13 digits in a row anywhere, or the printed form 1-2345-67890-12-3. In the
#: id columns (UUIDs, generated request ids) a national id standing alone.
DETAILS_NATIONAL_ID_LIKE = re.compile(r"\d{13}|\d-\d{4}-\d{5}-\d{2}-\d")
_TEXT_COLUMNS = ("actor_id", "actor_role", "action", "entity_type", "entity_id", "request_id")


def remember_secret(value: str) -> None:
    """Fail the current test if this value ever shows up in the audit log."""
    if value:
        KNOWN_SECRETS.add(value)


def _problems_in(
    text_value: str, where: str, secrets: Iterable[str], pattern: re.Pattern[str]
) -> list[str]:
    problems = []
    if pattern.search(text_value):
        problems.append(f"{where}: looks like a national id")
    problems.extend(f"{where}: holds a known secret" for s in secrets if s and s in text_value)
    return problems


def _walk(value: Any, where: str, secrets: Iterable[str]) -> list[str]:
    problems: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            lowered = str(key).lower()
            problems.extend(
                f"{where}.{key}: forbidden key ('{word}')"
                for word in FORBIDDEN_DETAIL_KEYS
                if word in lowered
            )
            problems += _problems_in(str(key), f"{where} key", secrets, DETAILS_NATIONAL_ID_LIKE)
            problems += _walk(inner, f"{where}.{key}", secrets)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems += _walk(item, f"{where}[{index}]", secrets)
    elif value is not None:
        problems += _problems_in(str(value), where, secrets, DETAILS_NATIONAL_ID_LIKE)
    return problems


def _entry_problems(row: Mapping[Any, Any], secrets: list[str]) -> list[str]:
    """One entry, as a row of the table or as the fields of an AuditEntry."""
    at = f"entry {row['seq']}"
    problems = _walk(row["details"], f"{at} details", secrets)
    for column in _TEXT_COLUMNS:
        if row[column] is not None:
            problems += _problems_in(row[column], f"{at} {column}", secrets, NATIONAL_ID_LIKE)
    return problems


async def audit_violations(engine: AsyncEngine, *, secrets: Iterable[str] = ()) -> list[str]:
    """Every forbidden key, national-id-like value or known secret in the audit log."""
    secrets = [s for s in secrets if s]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(f"SELECT seq, details, {', '.join(_TEXT_COLUMNS)} FROM audit_log ORDER BY seq")
            )
        ).mappings()
        return [problem for row in rows for problem in _entry_problems(row, secrets)]


def assert_entries_clean(entries: Iterable[AuditEntry], *, secrets: Iterable[str] = ()) -> None:
    """The same check on entries held in memory (tests/fakes.py `Store.audit`)."""
    kept = [s for s in secrets if s]
    problems = [p for entry in entries for p in _entry_problems(asdict(entry), kept)]
    assert not problems, "the audit log holds forbidden data:\n" + "\n".join(problems)


async def assert_audit_clean(engine: AsyncEngine, *, secrets: Iterable[str] = ()) -> None:
    """Fail when the audit log holds anything it must not (see module docstring)."""
    problems = await audit_violations(engine, secrets=[*secrets, *KNOWN_SECRETS])
    assert not problems, "the audit log holds forbidden data:\n" + "\n".join(problems)
