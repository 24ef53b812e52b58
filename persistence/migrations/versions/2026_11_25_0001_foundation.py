"""Foundation: the provinces registry (77 rows) and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (code, Thai name, English name, region). Codes are the DOPA codes, equal to ISO 3166-2:TH.
PROVINCES = [
    ("10", "กรุงเทพมหานคร", "Bangkok", "central"),
    ("11", "สมุทรปราการ", "Samut Prakan", "central"),
    ("12", "นนทบุรี", "Nonthaburi", "central"),
    ("13", "ปทุมธานี", "Pathum Thani", "central"),
    ("14", "พระนครศรีอยุธยา", "Phra Nakhon Si Ayutthaya", "central"),
    ("15", "อ่างทอง", "Ang Thong", "central"),
    ("16", "ลพบุรี", "Lop Buri", "central"),
    ("17", "สิงห์บุรี", "Sing Buri", "central"),
    ("18", "ชัยนาท", "Chai Nat", "central"),
    ("19", "สระบุรี", "Saraburi", "central"),
    ("20", "ชลบุรี", "Chon Buri", "east"),
    ("21", "ระยอง", "Rayong", "east"),
    ("22", "จันทบุรี", "Chanthaburi", "east"),
    ("23", "ตราด", "Trat", "east"),
    ("24", "ฉะเชิงเทรา", "Chachoengsao", "east"),
    ("25", "ปราจีนบุรี", "Prachin Buri", "east"),
    ("26", "นครนายก", "Nakhon Nayok", "central"),
    ("27", "สระแก้ว", "Sa Kaeo", "east"),
    ("30", "นครราชสีมา", "Nakhon Ratchasima", "northeast"),
    ("31", "บุรีรัมย์", "Buri Ram", "northeast"),
    ("32", "สุรินทร์", "Surin", "northeast"),
    ("33", "ศรีสะเกษ", "Si Sa Ket", "northeast"),
    ("34", "อุบลราชธานี", "Ubon Ratchathani", "northeast"),
    ("35", "ยโสธร", "Yasothon", "northeast"),
    ("36", "ชัยภูมิ", "Chaiyaphum", "northeast"),
    ("37", "อำนาจเจริญ", "Amnat Charoen", "northeast"),
    ("38", "บึงกาฬ", "Bueng Kan", "northeast"),
    ("39", "หนองบัวลำภู", "Nong Bua Lam Phu", "northeast"),
    ("40", "ขอนแก่น", "Khon Kaen", "northeast"),
    ("41", "อุดรธานี", "Udon Thani", "northeast"),
    ("42", "เลย", "Loei", "northeast"),
    ("43", "หนองคาย", "Nong Khai", "northeast"),
    ("44", "มหาสารคาม", "Maha Sarakham", "northeast"),
    ("45", "ร้อยเอ็ด", "Roi Et", "northeast"),
    ("46", "กาฬสินธุ์", "Kalasin", "northeast"),
    ("47", "สกลนคร", "Sakon Nakhon", "northeast"),
    ("48", "นครพนม", "Nakhon Phanom", "northeast"),
    ("49", "มุกดาหาร", "Mukdahan", "northeast"),
    ("50", "เชียงใหม่", "Chiang Mai", "north"),
    ("51", "ลำพูน", "Lamphun", "north"),
    ("52", "ลำปาง", "Lampang", "north"),
    ("53", "อุตรดิตถ์", "Uttaradit", "north"),
    ("54", "แพร่", "Phrae", "north"),
    ("55", "น่าน", "Nan", "north"),
    ("56", "พะเยา", "Phayao", "north"),
    ("57", "เชียงราย", "Chiang Rai", "north"),
    ("58", "แม่ฮ่องสอน", "Mae Hong Son", "north"),
    ("60", "นครสวรรค์", "Nakhon Sawan", "central"),
    ("61", "อุทัยธานี", "Uthai Thani", "central"),
    ("62", "กำแพงเพชร", "Kamphaeng Phet", "central"),
    ("63", "ตาก", "Tak", "west"),
    ("64", "สุโขทัย", "Sukhothai", "central"),
    ("65", "พิษณุโลก", "Phitsanulok", "central"),
    ("66", "พิจิตร", "Phichit", "central"),
    ("67", "เพชรบูรณ์", "Phetchabun", "central"),
    ("70", "ราชบุรี", "Ratchaburi", "west"),
    ("71", "กาญจนบุรี", "Kanchanaburi", "west"),
    ("72", "สุพรรณบุรี", "Suphan Buri", "central"),
    ("73", "นครปฐม", "Nakhon Pathom", "central"),
    ("74", "สมุทรสาคร", "Samut Sakhon", "central"),
    ("75", "สมุทรสงคราม", "Samut Songkhram", "central"),
    ("76", "เพชรบุรี", "Phetchaburi", "west"),
    ("77", "ประจวบคีรีขันธ์", "Prachuap Khiri Khan", "west"),
    ("80", "นครศรีธรรมราช", "Nakhon Si Thammarat", "south"),
    ("81", "กระบี่", "Krabi", "south"),
    ("82", "พังงา", "Phangnga", "south"),
    ("83", "ภูเก็ต", "Phuket", "south"),
    ("84", "สุราษฎร์ธานี", "Surat Thani", "south"),
    ("85", "ระนอง", "Ranong", "south"),
    ("86", "ชุมพร", "Chumphon", "south"),
    ("90", "สงขลา", "Songkhla", "south"),
    ("91", "สตูล", "Satun", "south"),
    ("92", "ตรัง", "Trang", "south"),
    ("93", "พัทลุง", "Phatthalung", "south"),
    ("94", "ปัตตานี", "Pattani", "south"),
    ("95", "ยะลา", "Yala", "south"),
    ("96", "นราธิวาส", "Narathiwat", "south"),
]


def _office_name(code: str, name_th: str) -> str:
    return "สำนักงานแรงงานกรุงเทพมหานคร" if code == "10" else f"สำนักงานแรงงานจังหวัด{name_th}"


def upgrade() -> None:
    provinces = op.create_table(
        "provinces",
        sa.Column("code", sa.String(2), nullable=False),
        sa.Column("name_th", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("office_name", sa.String(), nullable=True),
        sa.Column("office_address", sa.String(), nullable=True),
        sa.Column("office_phone", sa.String(), nullable=True),
        sa.Column("office_email", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_provinces")),
        sa.CheckConstraint("code ~ '^[0-9]{2}$'", name=op.f("ck_provinces_code_two_digits")),
        sa.CheckConstraint(
            "region IN ('north','northeast','central','east','west','south')",
            name=op.f("ck_provinces_region_known"),
        ),
    )
    op.create_index(op.f("ix_provinces_region"), "provinces", ["region"])
    op.bulk_insert(
        provinces,
        [
            {
                "code": code,
                "name_th": name_th,
                "name_en": name_en,
                "region": region,
                "office_name": _office_name(code, name_th),
            }
            for code, name_th, name_en, region in PROVINCES
        ],
    )

    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(32), nullable=True),
        sa.Column("entity_id", sa.String(64), nullable=True),
        sa.Column("province_code", sa.String(2), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_index("ix_audit_log_actor_id_seq", "audit_log", ["actor_id", "seq"])
    op.create_index("ix_audit_log_action_seq", "audit_log", ["action", "seq"])
    op.create_index(
        "ix_audit_log_action_pattern",
        "audit_log",
        [sa.text("action text_pattern_ops")],
    )
    op.create_index("ix_audit_log_entity_seq", "audit_log", ["entity_type", "entity_id", "seq"])
    op.create_index("ix_audit_log_province_code_seq", "audit_log", ["province_code", "seq"])
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"])

    # Append-only: no UPDATE, DELETE or TRUNCATE, whatever the role's privileges.
    op.execute(
        """
        CREATE FUNCTION audit_log_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_log_no_update_delete
        BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_log_no_truncate
        BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("provinces")
