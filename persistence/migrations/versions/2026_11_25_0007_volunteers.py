"""Volunteer registry: volunteers, their trainings and status history; pg_trgm name search.

The national ID is stored as a keyed hash (unique), an AES-GCM ciphertext and its last
four digits; date of birth, phone and email as one ciphertext. Names stay readable for
trigram search (GIN indexes over gin_trgm_ops).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'applied','active','rejected','suspended','retired'"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("full_name_th", sa.String(200), nullable=False),
        sa.Column("full_name_en", sa.String(200), nullable=True),
        sa.Column("national_id_hash", sa.String(64), nullable=True),
        sa.Column("national_id_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("national_id_kid", sa.String(32), nullable=True),
        sa.Column("national_id_last4", sa.String(4), nullable=True),
        sa.Column("personal_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("personal_kid", sa.String(32), nullable=True),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.Column("district", sa.String(100), nullable=True),
        sa.Column("occupation", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trainings_count", sa.Integer(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("pledged_on", sa.Date(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("activation_code_hash", sa.String(64), nullable=True),
        sa.Column("activation_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint("national_id_hash", name=op.f("uq_volunteers_national_id_hash")),
        sa.UniqueConstraint("account_id", name=op.f("uq_volunteers_account_id")),
        sa.UniqueConstraint(
            "activation_code_hash", name=op.f("uq_volunteers_activation_code_hash")
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_volunteers_province_code_provinces"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_volunteers_account_id_accounts")
        ),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_volunteers_status_known")),
        sa.CheckConstraint(
            "national_id_last4 IS NULL OR national_id_last4 ~ '^[0-9]{4}$'",
            name=op.f("ck_volunteers_national_id_last4_digits"),
        ),
        sa.CheckConstraint(
            "trainings_count >= 0", name=op.f("ck_volunteers_trainings_count_positive")
        ),
    )
    op.create_index(
        "ix_volunteers_created_at_id",
        "volunteers",
        [sa.text("created_at DESC"), sa.text("id DESC")],
    )
    op.create_index(
        "ix_volunteers_province_code_created_at_id",
        "volunteers",
        ["province_code", sa.text("created_at DESC"), sa.text("id DESC")],
    )
    op.create_index(
        "ix_volunteers_status_created_at_id",
        "volunteers",
        ["status", sa.text("created_at DESC"), sa.text("id DESC")],
    )
    # `trained=true|false` filters: partial indexes in the list order.
    op.create_index(
        "ix_volunteers_trained_created_at_id",
        "volunteers",
        [sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("trainings_count > 0"),
    )
    op.create_index(
        "ix_volunteers_untrained_created_at_id",
        "volunteers",
        [sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("trainings_count = 0"),
    )
    op.create_index(
        "ix_volunteers_full_name_th_trgm",
        "volunteers",
        ["full_name_th"],
        postgresql_using="gin",
        postgresql_ops={"full_name_th": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_volunteers_full_name_en_trgm",
        "volunteers",
        ["full_name_en"],
        postgresql_using="gin",
        postgresql_ops={"full_name_en": "gin_trgm_ops"},
    )

    op.create_table(
        "volunteer_trainings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("volunteer_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("course_title", sa.String(300), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("certificate_number", sa.String(100), nullable=True),
        sa.Column("organiser", sa.String(300), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_trainings")),
        sa.UniqueConstraint(
            "volunteer_id", "position", name=op.f("uq_volunteer_trainings_volunteer_id")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_trainings_volunteer_id_volunteers"),
        ),
    )
    op.create_index(
        op.f("ix_volunteer_trainings_volunteer_id"), "volunteer_trainings", ["volunteer_id"]
    )

    op.create_table(
        "volunteer_status_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("volunteer_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_status_history")),
        sa.UniqueConstraint(
            "volunteer_id", "position", name=op.f("uq_volunteer_status_history_volunteer_id")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_status_history_volunteer_id_volunteers"),
        ),
        sa.CheckConstraint(
            f"to_status IN ({STATUSES})", name=op.f("ck_volunteer_status_history_to_status_known")
        ),
    )
    op.create_index(
        op.f("ix_volunteer_status_history_volunteer_id"),
        "volunteer_status_history",
        ["volunteer_id"],
    )


def downgrade() -> None:
    op.drop_table("volunteer_status_history")
    op.drop_table("volunteer_trainings")
    op.drop_table("volunteers")
    # pg_trgm stays: other features may use it, and dropping an extension needs ownership.
