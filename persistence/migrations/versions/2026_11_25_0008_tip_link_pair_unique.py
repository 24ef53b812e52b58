"""Tip links: one link per pair of tips, whichever way round.

The primary key (tip_id, target_id) let A->B and B->A both in when two requests raced
past the repository's existence check. A unique index over the ordered pair refuses
the second; the repository maps that to "already linked" (409).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Pairs already linked both ways keep their first link (what the repository's check
    # would have kept without the race); the later reverse link goes.
    op.execute(
        "DELETE FROM tip_links AS later USING tip_links AS first "
        "WHERE later.tip_id = first.target_id AND later.target_id = first.tip_id "
        "AND (later.created_at, later.tip_id) > (first.created_at, first.tip_id)"
    )
    op.create_index(
        op.f("uq_tip_links_pair"),
        "tip_links",
        [sa.text("LEAST(tip_id, target_id)"), sa.text("GREATEST(tip_id, target_id)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("uq_tip_links_pair"), table_name="tip_links")
