"""Revocation and keys: the accounts' token version (the `tv` claim), when each sign-in
session started (its absolute lifetime), the id of the hash key under which each keyed
hash was made (hash-key rotation), and how far the audit trail has been shipped off the
server.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("token_version", sa.Integer(), nullable=False, server_default="1"),
    )

    op.add_column(
        "refresh_tokens",
        sa.Column("session_started_at", sa.DateTime(timezone=True), nullable=True),
    )
    # A family started when its first token was issued.
    op.execute(
        "UPDATE refresh_tokens r SET session_started_at = f.started "
        "FROM (SELECT family_id, min(issued_at) AS started FROM refresh_tokens "
        "GROUP BY family_id) f WHERE r.family_id = f.family_id"
    )
    op.alter_column("refresh_tokens", "session_started_at", nullable=False)
    # Every authenticated request asks whether its session was ended.
    op.create_index(
        "ix_refresh_tokens_revoked_family_id",
        "refresh_tokens",
        ["family_id"],
        postgresql_where=sa.text("revoked_at IS NOT NULL"),
    )

    # NULL: made under the single DATA_HASH_KEY of earlier versions (id unknown);
    # `python -m api.cli rehash` moves them under the current key.
    op.add_column("tips", sa.Column("receipt_hash_kid", sa.String(32), nullable=True))
    op.add_column("tips", sa.Column("reporter_hash_kid", sa.String(32), nullable=True))
    op.add_column("volunteers", sa.Column("national_id_hash_kid", sa.String(32), nullable=True))

    op.create_table(
        "audit_shipments",
        # SHA-256 of the sink's URL: the URL may hold credentials; a new sink starts at 0.
        sa.Column("sink_id", sa.String(64), nullable=False),
        sa.Column("shipped_seq", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("sink_id", name=op.f("pk_audit_shipments")),
    )


def downgrade() -> None:
    op.drop_table("audit_shipments")
    op.drop_column("volunteers", "national_id_hash_kid")
    op.drop_column("tips", "reporter_hash_kid")
    op.drop_column("tips", "receipt_hash_kid")
    op.drop_index("ix_refresh_tokens_revoked_family_id", table_name="refresh_tokens")
    op.drop_column("refresh_tokens", "session_started_at")
    op.drop_column("accounts", "token_version")
