"""Idempotency keys: stored hashed, outcomes encrypted with a key derived from the raw key.

The database never holds a usable key nor a readable outcome: the row is addressed by
SHA-256(scope, key) and its outcome (which may carry a one-time secret such as an
anonymous reporter's receipt) is sealed with AES-GCM under HKDF(key). Only a client that
presents the key again can have the outcome replayed.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Column, DateTime, LargeBinary, String, Table, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.idempotency import IdempotencyKey, IdempotencyKeyReused, Outcome
from persistence.driver import driver_transaction


class IdempotencyRow(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    key_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    outcome: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


def _key_hash(key: IdempotencyKey) -> str:
    return hashlib.sha256(f"{key.scope}\x00{key.key}".encode()).hexdigest()


def _aead(key: IdempotencyKey) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"duangta-idempotency-v1"
    ).derive(f"{key.scope}\x00{key.key}".encode())
    return AESGCM(derived)


def _seal(key: IdempotencyKey, outcome: Outcome) -> bytes:
    nonce = os.urandom(12)
    plaintext = json.dumps(outcome, sort_keys=True).encode()
    return nonce + _aead(key).encrypt(nonce, plaintext, _key_hash(key).encode())


def _open(key: IdempotencyKey, sealed: bytes) -> Outcome:
    plaintext = _aead(key).decrypt(sealed[:12], sealed[12:], _key_hash(key).encode())
    outcome: Outcome = json.loads(plaintext)
    return outcome


_TABLE: Table = IdempotencyRow.__table__  # type: ignore[attr-defined]


_CLAIM = (
    "INSERT INTO idempotency_keys (key_hash, fingerprint, created_at, expires_at)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (key_hash) DO NOTHING RETURNING key_hash"
)
_COMPLETE = "UPDATE idempotency_keys SET outcome = $1 WHERE key_hash = $2 RETURNING key_hash"


class SqlIdempotencyStore:
    def __init__(self, session: AsyncSession, *, ttl: timedelta = timedelta(hours=24)) -> None:
        self._session = session
        self._ttl = ttl

    async def claim(self, key: IdempotencyKey, *, now: datetime) -> Outcome | None:
        # Inside the unit of work's transaction: the new key (the common case) as a
        # prepared statement on the driver (on the intake path the ORM's flush, then
        # Core's compilation, cost more than the statements); a replay with Core.
        # A concurrent claim of the same key waits here until the other transaction ends.
        key_hash = _key_hash(key)
        driver = await driver_transaction(self._session)
        inserted = await driver.fetchval(_CLAIM, key_hash, key.fingerprint, now, now + self._ttl)
        if inserted is not None:
            return None
        connection = await self._session.connection()
        row = (
            await connection.execute(
                sa_select(_TABLE.c.fingerprint, _TABLE.c.outcome, _TABLE.c.expires_at)
                .where(_TABLE.c.key_hash == key_hash)
                .with_for_update()
            )
        ).one()
        if row.expires_at <= now or row.outcome is None:
            # Expired (or, defensively, never completed): the key starts afresh.
            await connection.execute(
                update(_TABLE)
                .where(_TABLE.c.key_hash == key_hash)
                .values(
                    fingerprint=key.fingerprint,
                    outcome=None,
                    created_at=now,
                    expires_at=now + self._ttl,
                )
            )
            return None
        if row.fingerprint != key.fingerprint:
            raise IdempotencyKeyReused()
        return _open(key, row.outcome)

    async def complete(self, key: IdempotencyKey, outcome: Outcome, *, now: datetime) -> None:
        driver = await driver_transaction(self._session)
        done = await driver.fetchval(_COMPLETE, _seal(key, outcome), _key_hash(key))
        if done is None:
            raise LookupError("complete() without claim()")
