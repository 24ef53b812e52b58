"""Webhook endpoints created by API clients: `webhook_endpoints.created_by` is the
account or the API client that registered the endpoint, so it no longer references
`accounts` (a client's id is not an account's; the audit log records which it was).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(
        op.f("fk_webhook_endpoints_created_by_accounts"), "webhook_endpoints", type_="foreignkey"
    )


def downgrade() -> None:
    # NOT VALID: endpoints registered by API clients stay (they have no account).
    op.execute(
        "ALTER TABLE webhook_endpoints ADD CONSTRAINT fk_webhook_endpoints_created_by_accounts "
        "FOREIGN KEY (created_by) REFERENCES accounts (id) NOT VALID"
    )
