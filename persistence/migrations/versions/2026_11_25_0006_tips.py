"""Tips: the tips table (confidential fields sealed), history, messages, links, references.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'received','acknowledged','in_review','investigating','closed'"
CATEGORIES = (
    "'bribery','extortion','embezzlement','procurement_fraud','abuse_of_authority',"
    "'illegal_recruitment_fees','fund_fraud','conflict_of_interest','other'"
)
CHANNELS = "'web','mobile','hotline','walk_in'"
OUTCOMES = (
    "'substantiated','unsubstantiated','referred','insufficient_information','duplicate',"
    "'out_of_scope'"
)


def upgrade() -> None:
    op.create_table(
        "tips",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(24), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.Column("recused_province_code", sa.String(2), nullable=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ack_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feedback_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("incident_date", sa.Date(), nullable=True),
        sa.Column("incident_period_start", sa.Date(), nullable=True),
        sa.Column("incident_period_end", sa.Date(), nullable=True),
        sa.Column("amount_thb", sa.Numeric(14, 2), nullable=True),
        # Sealed (AES-256-GCM, key id inside each value); never plaintext.
        sa.Column("description", sa.LargeBinary(), nullable=False),
        sa.Column("accused", sa.LargeBinary(), nullable=True),
        sa.Column("location", sa.LargeBinary(), nullable=True),
        sa.Column("contact", sa.LargeBinary(), nullable=True),
        sa.Column("reporter", sa.LargeBinary(), nullable=True),
        # Keyed hashes (HMAC-SHA-256): find a reporter's tips / a receipt's tip.
        sa.Column("reporter_hash", sa.String(64), nullable=True),
        sa.Column("receipt_hash", sa.String(64), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tips")),
        sa.UniqueConstraint("reference", name=op.f("uq_tips_reference")),
        sa.UniqueConstraint("receipt_hash", name=op.f("uq_tips_receipt_hash")),
        sa.ForeignKeyConstraint(
            ["province_code"], ["provinces.code"], name=op.f("fk_tips_province_code_provinces")
        ),
        sa.ForeignKeyConstraint(
            ["recused_province_code"],
            ["provinces.code"],
            name=op.f("fk_tips_recused_province_code_provinces"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["accounts.id"], name=op.f("fk_tips_recorded_by_accounts")
        ),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_tips_status_known")),
        sa.CheckConstraint(f"category IN ({CATEGORIES})", name=op.f("ck_tips_category_known")),
        sa.CheckConstraint(f"channel IN ({CHANNELS})", name=op.f("ck_tips_channel_known")),
        sa.CheckConstraint(
            f"outcome IS NULL OR outcome IN ({OUTCOMES})", name=op.f("ck_tips_outcome_known")
        ),
        sa.CheckConstraint(
            "amount_thb IS NULL OR amount_thb >= 0", name=op.f("ck_tips_amount_not_negative")
        ),
    )
    desc = [sa.text("received_at DESC"), sa.text("id DESC")]
    op.create_index("ix_tips_received_at_id", "tips", desc)
    op.create_index("ix_tips_province_code_received_at_id", "tips", ["province_code", *desc])
    op.create_index(
        "ix_tips_province_code_status_received_at_id", "tips", ["province_code", "status", *desc]
    )
    op.create_index("ix_tips_status_received_at_id", "tips", ["status", *desc])
    op.create_index("ix_tips_category_received_at_id", "tips", ["category", *desc])
    op.create_index(
        "ix_tips_reporter_hash_received_at_id",
        "tips",
        ["reporter_hash", *desc],
        postgresql_where=sa.text("reporter_hash IS NOT NULL"),
    )
    op.create_index(
        "ix_tips_ack_open",
        "tips",
        ["ack_due_at"],
        postgresql_where=sa.text("acknowledged_at IS NULL"),
    )
    op.create_index(
        "ix_tips_ack_late",
        "tips",
        [sa.text("received_at DESC")],
        postgresql_where=sa.text("acknowledged_at > ack_due_at"),
    )
    op.create_index(
        "ix_tips_feedback_open",
        "tips",
        ["feedback_due_at"],
        postgresql_where=sa.text("first_feedback_at IS NULL"),
    )
    op.create_index(
        "ix_tips_feedback_late",
        "tips",
        [sa.text("received_at DESC")],
        postgresql_where=sa.text("first_feedback_at > feedback_due_at"),
    )
    # min(deadline - receipt) in one index lookup: lets overdue lists skip young tips.
    op.create_index("ix_tips_ack_window", "tips", [sa.text("(ack_due_at - received_at)")])
    op.create_index("ix_tips_feedback_window", "tips", [sa.text("(feedback_due_at - received_at)")])

    op.create_table(
        "tip_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("reason", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_events")),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"], name=op.f("fk_tip_events_tip_id_tips")),
    )
    op.create_index("ix_tip_events_tip_id_seq", "tip_events", ["tip_id", "seq"])

    op.create_table(
        "tip_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("author_account_id", sa.Uuid(), nullable=True),
        sa.Column("author_role", sa.String(32), nullable=True),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_messages")),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"], name=op.f("fk_tip_messages_tip_id_tips")),
        sa.CheckConstraint(
            "author IN ('reporter','official')", name=op.f("ck_tip_messages_author_known")
        ),
        # A reporter's message is never internal and never names an account.
        sa.CheckConstraint(
            "author = 'official' OR (NOT internal AND author_account_id IS NULL)",
            name=op.f("ck_tip_messages_reporter_messages_public_and_unattributed"),
        ),
    )
    op.create_index("ix_tip_messages_tip_id_seq", "tip_messages", ["tip_id", "seq"])

    op.create_table(
        "tip_links",
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("tip_id", "target_id", name=op.f("pk_tip_links")),
        sa.ForeignKeyConstraint(["tip_id"], ["tips.id"], name=op.f("fk_tip_links_tip_id_tips")),
        sa.ForeignKeyConstraint(
            ["target_id"], ["tips.id"], name=op.f("fk_tip_links_target_id_tips")
        ),
        sa.CheckConstraint("tip_id <> target_id", name=op.f("ck_tip_links_not_self")),
        sa.CheckConstraint(
            "kind IN ('duplicate_of','related')", name=op.f("ck_tip_links_kind_known")
        ),
    )
    op.create_index("ix_tip_links_target_id", "tip_links", ["target_id"])

    op.create_table(
        "tip_reference_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_tip_reference_counters")),
    )


def downgrade() -> None:
    op.drop_table("tip_reference_counters")
    op.drop_table("tip_links")
    op.drop_table("tip_messages")
    op.drop_table("tip_events")
    op.drop_table("tips")
