"""Volunteers: a registered national ID is flagged on the new application, not refused.

A unique national-ID hash made the public application form an oracle (201 or 409 told
anyone whether an ID was registered). The unique constraint becomes a plain index, and
`duplicate_of` points an application at the earliest registration with the same ID,
for officers to see.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("uq_volunteers_national_id_hash"), "volunteers", type_="unique")
    op.create_index(op.f("ix_volunteers_national_id_hash"), "volunteers", ["national_id_hash"])
    op.add_column("volunteers", sa.Column("duplicate_of", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_volunteers_duplicate_of_volunteers"),
        "volunteers",
        "volunteers",
        ["duplicate_of"],
        ["id"],
    )


def downgrade() -> None:
    # Fails while two volunteers hold one ID: resolve the flagged duplicates first.
    op.drop_constraint(
        op.f("fk_volunteers_duplicate_of_volunteers"), "volunteers", type_="foreignkey"
    )
    op.drop_column("volunteers", "duplicate_of")
    op.drop_index(op.f("ix_volunteers_national_id_hash"), table_name="volunteers")
    op.create_unique_constraint(
        op.f("uq_volunteers_national_id_hash"), "volunteers", ["national_id_hash"]
    )
