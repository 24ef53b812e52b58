"""API clients of partner systems (OAuth2 client credentials): secrets kept as keyed
hashes, scopes, rotation overlap, revocation.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agency_code", sa.String(16), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(32)), nullable=False),
        # HMAC-SHA-256 under DATA_HASH_KEY (hex): never the secret itself.
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("previous_secret_hash", sa.String(64), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_authenticated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_api_clients_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_api_clients_created_by_accounts")
        ),
        sa.CheckConstraint("cardinality(scopes) > 0", name=op.f("ck_api_clients_has_scopes")),
        sa.CheckConstraint(
            "(previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL)",
            name=op.f("ck_api_clients_previous_secret_expires"),
        ),
    )
    op.create_index(
        "ix_api_clients_agency_code_created_at",
        "api_clients",
        ["agency_code", sa.text("created_at DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_api_clients_agency_code_created_at", table_name="api_clients")
    op.drop_table("api_clients")
