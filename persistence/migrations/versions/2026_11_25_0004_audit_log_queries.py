"""Audit log: indexes for the auditors' queries (action prefix, time range).

`action=tip.` lists entries whose action starts with `tip.`, newest first. A
`text_pattern_ops` index finds them but not in seq order, so every match had to be
sorted; an expression index on (the action's first segment, seq) serves
`split_part(action, '.', 1) = 'tip' ORDER BY seq DESC LIMIT n` directly and replaces it.

A time range is turned into a range of seqs (occurred_at never decreases along the
chain): its first and last seq are single lookups in an index on (occurred_at, seq),
which replaces the one on occurred_at alone. See bench/audit_indexes.py for the plans on
a million entries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_action_family_seq",
        "audit_log",
        [sa.text("split_part(action, '.', 1)"), "seq"],
    )
    op.drop_index("ix_audit_log_action_pattern", table_name="audit_log")
    op.create_index("ix_audit_log_occurred_at_seq", "audit_log", ["occurred_at", "seq"])
    op.drop_index("ix_audit_log_occurred_at", table_name="audit_log")


def downgrade() -> None:
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"])
    op.drop_index("ix_audit_log_occurred_at_seq", table_name="audit_log")
    op.create_index(
        "ix_audit_log_action_pattern",
        "audit_log",
        [sa.text("action text_pattern_ops")],
    )
    op.drop_index("ix_audit_log_action_family_seq", table_name="audit_log")
