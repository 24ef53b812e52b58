"""Investigations: cases on tips (title and findings sealed), their tips (a tip in at most
one open investigation), team, timeline (content sealed) and references.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'open', 'in_progress', 'on_hold', 'concluded'"
PRIORITIES = "'low', 'normal', 'high', 'critical'"
OUTCOMES = "'substantiated', 'unsubstantiated', 'referred', 'insufficient_evidence'"
ROLES = "'lead', 'member'"
KINDS = "'opened', 'updated', 'status_changed', 'assigned', 'unassigned', 'note', 'evidence'"


def upgrade() -> None:
    op.create_table(
        "investigations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(24), nullable=False),
        sa.Column("lead_province_code", sa.String(2), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
        # Sealed (AES-256-GCM, key id inside each value); never plaintext.
        sa.Column("title", sa.LargeBinary(), nullable=False),
        sa.Column("findings", sa.LargeBinary(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigations")),
        sa.UniqueConstraint("reference", name=op.f("uq_investigations_reference")),
        sa.ForeignKeyConstraint(
            ["lead_province_code"],
            ["provinces.code"],
            name=op.f("fk_investigations_lead_province_code_provinces"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_investigations_created_by_accounts")
        ),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_investigations_status_known")),
        sa.CheckConstraint(
            f"priority IN ({PRIORITIES})", name=op.f("ck_investigations_priority_known")
        ),
        sa.CheckConstraint(
            f"outcome IS NULL OR outcome IN ({OUTCOMES})",
            name=op.f("ck_investigations_outcome_known"),
        ),
        sa.CheckConstraint(
            "(status = 'concluded') = (outcome IS NOT NULL AND concluded_at IS NOT NULL)",
            name=op.f("ck_investigations_outcome_when_concluded"),
        ),
    )
    desc = [sa.text("created_at DESC"), sa.text("id DESC")]
    op.create_index("ix_investigations_created_at_id", "investigations", desc)
    op.create_index(
        "ix_investigations_lead_province_code_created_at_id",
        "investigations",
        ["lead_province_code", *desc],
    )
    op.create_index("ix_investigations_status_created_at_id", "investigations", ["status", *desc])

    op.create_table(
        "investigation_tips",
        sa.Column("investigation_id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        # Mirrors the investigation (not concluded): see the unique index below.
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("investigation_id", "tip_id", name=op.f("pk_investigation_tips")),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_investigation_tips_investigation_id_investigations"),
        ),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tips.id"], name=op.f("fk_investigation_tips_tip_id_tips")
        ),
    )
    op.create_index("ix_investigation_tips_tip_id", "investigation_tips", ["tip_id"])
    # A tip is in at most one open investigation, whatever races the application loses.
    op.create_index(
        "uq_investigation_tips_tip_id_open",
        "investigation_tips",
        ["tip_id"],
        unique=True,
        postgresql_where=sa.text("open"),
    )

    op.create_table(
        "investigation_assignments",
        sa.Column("investigation_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint(
            "investigation_id", "account_id", name=op.f("pk_investigation_assignments")
        ),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_investigation_assignments_investigation_id_investigations"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_investigation_assignments_account_id_accounts"),
        ),
        sa.CheckConstraint(
            f"role IN ({ROLES})", name=op.f("ck_investigation_assignments_role_known")
        ),
    )
    op.create_index(
        "ix_investigation_assignments_account_id", "investigation_assignments", ["account_id"]
    )
    op.create_index(
        "uq_investigation_assignments_investigation_id_lead",
        "investigation_assignments",
        ["investigation_id"],
        unique=True,
        postgresql_where=sa.text("role = 'lead'"),
    )

    op.create_table(
        "investigation_timeline",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("investigation_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("assignment_role", sa.String(16), nullable=True),
        # Sealed JSON: a reason or note, an evidence record, the fields an update changed.
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigation_timeline")),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_investigation_timeline_investigation_id_investigations"),
        ),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_investigation_timeline_kind_known")),
    )
    op.create_index(
        "ix_investigation_timeline_investigation_id_seq",
        "investigation_timeline",
        ["investigation_id", "seq"],
    )

    op.create_table(
        "investigation_reference_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_investigation_reference_counters")),
    )


def downgrade() -> None:
    op.drop_table("investigation_reference_counters")
    op.drop_table("investigation_timeline")
    op.drop_table("investigation_assignments")
    op.drop_table("investigation_tips")
    op.drop_table("investigations")
