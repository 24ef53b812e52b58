"""The audit table and the one writer of the hash chain.

Writers take a transaction-scoped advisory lock before reading the chain head, so
entries are appended one at a time across every connection and API process: the chain
never forks, and because the lock is held until commit or rollback, sequence numbers
have no gaps (a rolled-back entry frees its number for the next writer).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.audit import (
    GENESIS_HASH,
    AuditActor,
    AuditEntry,
    DetailValue,
    check_details,
)
from domain.clock import Clock

#: Key of the advisory lock that serialises audit writers (arbitrary, fixed forever).
AUDIT_CHAIN_LOCK = 0x0D0A_7A00_A0D1_7001


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_id_seq", "actor_id", "seq"),
        Index("ix_audit_log_action_seq", "action", "seq"),
        Index(
            "ix_audit_log_action_pattern",
            text("action text_pattern_ops"),
        ),
        Index("ix_audit_log_entity_seq", "entity_type", "entity_id", "seq"),
        Index("ix_audit_log_province_code_seq", "province_code", "seq"),
        Index("ix_audit_log_occurred_at", "occurred_at"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor_id: str = Field(sa_column=Column(String(64), nullable=False))
    actor_role: str | None = Field(default=None, sa_column=Column(String(32)))
    action: str = Field(sa_column=Column(String(64), nullable=False))
    entity_type: str | None = Field(default=None, sa_column=Column(String(32)))
    entity_id: str | None = Field(default=None, sa_column=Column(String(64)))
    province_code: str | None = Field(default=None, sa_column=Column(String(2)))
    request_id: str | None = Field(default=None, sa_column=Column(String(64)))
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))

    def to_domain(self) -> AuditEntry:
        return AuditEntry(
            seq=self.seq,
            occurred_at=self.occurred_at,
            actor_id=self.actor_id,
            actor_role=self.actor_role,
            action=self.action,
            entity_type=self.entity_type,
            entity_id=self.entity_id,
            province_code=self.province_code,
            request_id=self.request_id,
            details=self.details,
            prev_hash=self.prev_hash,
            hash=self.hash,
        )


class SqlAuditLog:
    """Appends audit entries inside the unit of work's transaction."""

    def __init__(self, session: AsyncSession, clock: Clock, request_id: str | None) -> None:
        self._session = session
        self._clock = clock
        self._request_id = request_id
        self._head: tuple[int, str] | None = None

    def transaction_ended(self) -> None:
        """Forget the cached chain head (the lock was released with the transaction)."""
        self._head = None

    async def _lock_and_read_head(self) -> tuple[int, str]:
        await self._session.exec(select(func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)))
        query = select(AuditRow.seq, AuditRow.hash).order_by(col(AuditRow.seq).desc()).limit(1)
        row = (await self._session.exec(query)).first()
        return (row[0], row[1]) if row else (0, GENESIS_HASH)

    async def record(
        self,
        actor: AuditActor,
        action: str,
        *,
        entity_type: str | None = None,
        entity_id: object | None = None,
        province_code: str | None = None,
        details: dict[str, DetailValue] | None = None,
    ) -> AuditEntry:
        details = dict(details or {})
        check_details(details)
        if self._head is None:
            self._head = await self._lock_and_read_head()
        last_seq, last_hash = self._head
        entry = AuditEntry(
            seq=last_seq + 1,
            occurred_at=self._clock.now(),
            actor_id=actor.id,
            actor_role=actor.role,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            province_code=province_code,
            request_id=self._request_id,
            details=details,
            prev_hash=last_hash,
        )
        digest = entry.computed_hash()
        self._session.add(
            AuditRow(
                seq=entry.seq,
                occurred_at=entry.occurred_at,
                actor_id=entry.actor_id,
                actor_role=entry.actor_role,
                action=entry.action,
                entity_type=entry.entity_type,
                entity_id=entry.entity_id,
                province_code=entry.province_code,
                request_id=entry.request_id,
                details=entry.details,
                prev_hash=entry.prev_hash,
                hash=digest,
            )
        )
        await self._session.flush()
        self._head = (entry.seq, digest)
        return replace(entry, hash=digest)

    async def viewed(
        self,
        actor: AuditActor,
        entity_type: str,
        entity_id: object,
        *,
        province_code: str | None = None,
        fields: list[str] | None = None,
    ) -> AuditEntry:
        details: dict[str, DetailValue] = {}
        if fields:
            details["fields"] = list(fields)
        return await self.record(
            actor,
            f"{entity_type}.viewed",
            entity_type=entity_type,
            entity_id=entity_id,
            province_code=province_code,
            details=details,
        )
