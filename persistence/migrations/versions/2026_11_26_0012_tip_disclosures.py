"""The identity vault: requests to see who reported a tip, and custodians' decisions
(reasons sealed; a custodian never decides their own request).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tip_disclosures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tip_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("requester_role", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        # Sealed (AES-256-GCM): why it was asked, why it was decided so.
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("decision_reason", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_disclosures")),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tips.id"], name=op.f("fk_tip_disclosures_tip_id_tips")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["accounts.id"],
            name=op.f("fk_tip_disclosures_requested_by_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["accounts.id"], name=op.f("fk_tip_disclosures_decided_by_accounts")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'refused')",
            name=op.f("ck_tip_disclosures_status_known"),
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_by IS NULL AND decided_at IS NULL)",
            name=op.f("ck_tip_disclosures_decided_unless_pending"),
        ),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by",
            name=op.f("ck_tip_disclosures_not_own"),
        ),
    )
    desc = [sa.text("requested_at DESC"), sa.text("id DESC")]
    op.create_index("ix_tip_disclosures_requested_at_id", "tip_disclosures", desc)
    op.create_index(
        "ix_tip_disclosures_requested_by_requested_at_id",
        "tip_disclosures",
        ["requested_by", *desc],
    )
    op.create_index("ix_tip_disclosures_tip_id", "tip_disclosures", ["tip_id"])


def downgrade() -> None:
    op.drop_table("tip_disclosures")
