"""Partner agencies (seeded with the Thai agencies) and referrals of investigations to
them; referral steps on the investigation timeline.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (code, Thai name, English name, public hotline, website). Hotlines and sites as the
# agencies publish them; admins keep them current (PATCH /api/v1/agencies/{code}).
AGENCIES = [
    (
        "NACC",
        "สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตแห่งชาติ (สำนักงาน ป.ป.ช.)",
        "Office of the National Anti-Corruption Commission (NACC)",
        "1205",
        "https://www.nacc.go.th",
    ),
    (
        "PACC",
        "สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตในภาครัฐ (สำนักงาน ป.ป.ท.)",
        "Office of the Public Sector Anti-Corruption Commission (PACC)",
        "1206",
        "https://www.pacc.go.th",
    ),
    (
        "DSI",
        "กรมสอบสวนคดีพิเศษ",
        "Department of Special Investigation (DSI)",
        "1202",
        "https://www.dsi.go.th",
    ),
    ("RTP", "สำนักงานตำรวจแห่งชาติ", "Royal Thai Police", "1599", "https://www.royalthaipolice.go.th"),
    ("OAG", "สำนักงานอัยการสูงสุด", "Office of the Attorney General", None, "https://www.ago.go.th"),
    (
        "SAO",
        "สำนักงานการตรวจเงินแผ่นดิน (สตง.)",
        "State Audit Office (Office of the Auditor-General)",
        None,
        "https://www.audit.go.th",
    ),
    (
        "DAMRONGDHAM",
        "ศูนย์ดำรงธรรม กระทรวงมหาดไทย",
        "Damrongdham Centre, Ministry of Interior",
        "1567",
        None,
    ),
    (
        "GOV1111",
        "ศูนย์บริการประชาชน สำนักปลัดสำนักนายกรัฐมนตรี (สายด่วน 1111)",
        "Government Contact Center 1111, Office of the Permanent Secretary, Office of the Prime Minister",
        "1111",
        None,
    ),
]
REFERRAL_STATUSES = (
    "'referred', 'received', 'accepted', 'declined', 'in_progress', 'prosecuted', 'closed'"
)
OLD_KINDS = "'opened', 'updated', 'status_changed', 'assigned', 'unassigned', 'note', 'evidence'"
KINDS = f"{OLD_KINDS}, 'referred', 'referral_updated'"


def upgrade() -> None:
    agencies = op.create_table(
        "agencies",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name_th", sa.String(300), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("website", sa.String(300), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agencies")),
        sa.CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,15}$'", name=op.f("ck_agencies_code_format")),
    )
    op.bulk_insert(
        agencies,
        [
            {
                "code": code,
                "name_th": name_th,
                "name_en": name_en,
                "phone": phone,
                "email": None,
                "website": website,
                "is_active": True,
                "version": 1,
            }
            for code, name_th, name_en, phone, website in AGENCIES
        ],
    )

    op.create_table(
        "referrals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("investigation_id", sa.Uuid(), nullable=False),
        sa.Column("agency_code", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        # Sealed (AES-256-GCM): the summary written for the agency.
        sa.Column("summary", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_referrals_investigation_id_investigations"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agencies.code"], name=op.f("fk_referrals_agency_code_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_referrals_created_by_accounts")
        ),
        sa.CheckConstraint(
            f"status IN ({REFERRAL_STATUSES})", name=op.f("ck_referrals_status_known")
        ),
    )
    desc = [sa.text("created_at DESC"), sa.text("id DESC")]
    op.create_index("ix_referrals_created_at_id", "referrals", desc)
    op.create_index("ix_referrals_agency_code_created_at_id", "referrals", ["agency_code", *desc])
    op.create_index("ix_referrals_investigation_id", "referrals", ["investigation_id"])
    # One referral at a time per investigation; a declined one may be referred again.
    op.create_index(
        "uq_referrals_investigation_id_active",
        "referrals",
        ["investigation_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'declined'"),
    )

    op.add_column("investigation_timeline", sa.Column("agency_code", sa.String(16), nullable=True))
    op.add_column(
        "investigation_timeline", sa.Column("referral_status", sa.String(16), nullable=True)
    )
    op.drop_constraint(
        op.f("ck_investigation_timeline_kind_known"), "investigation_timeline", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_investigation_timeline_kind_known"), "investigation_timeline", f"kind IN ({KINDS})"
    )


def downgrade() -> None:
    op.execute("DELETE FROM investigation_timeline WHERE kind IN ('referred', 'referral_updated')")
    op.drop_constraint(
        op.f("ck_investigation_timeline_kind_known"), "investigation_timeline", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_investigation_timeline_kind_known"),
        "investigation_timeline",
        f"kind IN ({OLD_KINDS})",
    )
    op.drop_column("investigation_timeline", "referral_status")
    op.drop_column("investigation_timeline", "agency_code")
    op.drop_table("referrals")
    op.drop_table("agencies")
