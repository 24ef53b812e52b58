"""Statistics: summary tables kept in step with tips, investigations, referrals and
volunteers by statement-level triggers (same transaction), `stat_rebuild()` to recompute
them from the raw rows, and the optional amounts of an investigation's conclusion.

Why triggers rather than materialised views or repository code: every write path (the
repositories, a bulk load, a manual fix) moves the counts in the same transaction, so
the figures are never stale and no feature's repository needs to know about statistics;
a materialised view would rescan 1,000,000 tips per refresh and lag behind. The triggers
use transition tables (one INSERT ... ON CONFLICT per statement, keys in a fixed order so
concurrent writers lock summary rows in the same order) and skip updates that change no
figure, and take the audit chain's advisory lock first (see `Summary.create`).
`session_replication_role = replica` (bulk loads, the tests' truncation) skips
them: call `SELECT stat_rebuild()` afterwards.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The audit chain's advisory lock (persistence/audit/repository.py AUDIT_CHAIN_LOCK;
#: tests/statistics check they are the same number).
AUDIT_CHAIN_LOCK = 0x0D0A_7A00_A0D1_7001

#: Bangkok keeps UTC+7 without daylight saving: no time zone database needed.
FUNCTIONS = [
    """
    CREATE FUNCTION stat_month(at timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_trunc('month', (at AT TIME ZONE 'UTC') + interval '7 hours')::date
    """,
    """
    CREATE FUNCTION stat_day(at timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ((at AT TIME ZONE 'UTC') + interval '7 hours')::date
    """,
    """
    CREATE FUNCTION stat_deadline(done timestamptz, due timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN done IS NULL THEN 'open' WHEN done <= due THEN 'met' ELSE 'late' END
    """,
    """
    CREATE FUNCTION stat_whole(seconds numeric, unit integer) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN greatest(0, floor(seconds / unit))::integer
    """,
]


@dataclass(frozen=True)
class Summary:
    """A summary table: its keys and measures, the source table, and the projection of
    source rows (`{rows}`) into (keys..., measures...) rows, one or several per record."""

    name: str  # of its trigger function and triggers
    table: str
    source: str
    keys: tuple[str, ...]
    measures: tuple[str, ...]
    projection: str

    def project(self, rows: str, sign: str = "") -> str:
        cols = ", ".join(self.keys + tuple(f"{sign}{m} AS {m}" for m in self.measures))
        return f"SELECT {cols} FROM ({self.projection.format(rows=rows)}) p"  # noqa: S608

    def upsert(self, deltas: str, *, skip_zero: bool) -> str:
        keys = ", ".join(self.keys)
        sums = ", ".join(f"sum({m})" for m in self.measures)
        having = (
            " HAVING " + " OR ".join(f"sum({m}) <> 0" for m in self.measures) if skip_zero else ""
        )
        sets = ", ".join(f"{m} = {self.table}.{m} + excluded.{m}" for m in self.measures)
        return (
            f"INSERT INTO {self.table} ({keys}, {', '.join(self.measures)}) "  # noqa: S608
            f"SELECT {keys}, {sums} FROM ({deltas}) d GROUP BY {keys}{having} "
            f"ORDER BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {sets}"
        )

    @property
    def function(self) -> str:
        return f"stat_apply_{self.name}"

    def create(self) -> list[str]:
        new, old = self.project("new_rows"), self.project("old_rows", "-")
        body = f"""
        CREATE FUNCTION {self.function}() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            -- Writers of summary rows take the audit chain's lock first (every write is
            -- audited, so they would take it anyway): summary rows are then only ever
            -- locked under it, and a writer holding a hot summary row can never wait for
            -- the audit lock held by another that waits for that row (no deadlock).
            PERFORM pg_advisory_xact_lock({AUDIT_CHAIN_LOCK});
            IF TG_OP = 'INSERT' THEN
                {self.upsert(new, skip_zero=False)};
            ELSIF TG_OP = 'UPDATE' THEN
                {self.upsert(f"{new} UNION ALL {old}", skip_zero=True)};
            ELSE
                {self.upsert(old, skip_zero=False)};
            END IF;
            RETURN NULL;
        END
        $fn$
        """
        name = self.name
        return [
            body,
            f"CREATE TRIGGER {name}_ins AFTER INSERT ON {self.source} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
            f"{self.function}()",
            f"CREATE TRIGGER {name}_upd AFTER UPDATE ON {self.source} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {self.function}()",
            f"CREATE TRIGGER {name}_del AFTER DELETE ON {self.source} "
            f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "
            f"{self.function}()",
        ]

    def rebuild(self) -> str:
        return self.upsert(self.project(self.source), skip_zero=True)

    def drop(self) -> list[str]:
        return [
            *(f"DROP TRIGGER {self.name}_{op_} ON {self.source}" for op_ in ("ins", "upd", "del")),
            f"DROP FUNCTION {self.function}()",
        ]


SUMMARIES = [
    Summary(
        "stat_tip_counts",
        "stat_tip_counts",
        "tips",
        ("province_code", "month", "dimension", "value"),
        ("n",),
        """
        SELECT s.scope AS province_code, stat_month(t.received_at) AS month, d.dimension,
               d.value, 1 AS n
        FROM {rows} t
        CROSS JOIN LATERAL (VALUES (t.province_code), ('')) AS s(scope)
        CROSS JOIN LATERAL (VALUES
            ('category', t.category), ('channel', t.channel), ('status', t.status),
            ('outcome', t.outcome),
            ('ack', stat_deadline(t.acknowledged_at, t.ack_due_at)),
            ('feedback', stat_deadline(t.first_feedback_at, t.feedback_due_at))
        ) AS d(dimension, value)
        WHERE d.value IS NOT NULL
        """,
    ),
    Summary(
        "stat_tip_open_deadlines",
        "stat_tip_open_deadlines",
        "tips",
        ("province_code", "month", "kind", "due_day"),
        ("n",),
        """
        SELECT s.scope AS province_code, stat_month(t.received_at) AS month, k.kind,
               k.due_day, 1 AS n
        FROM {rows} t
        CROSS JOIN LATERAL (VALUES (t.province_code), ('')) AS s(scope)
        CROSS JOIN LATERAL (VALUES
            ('ack', CASE WHEN t.acknowledged_at IS NULL THEN stat_day(t.ack_due_at) END),
            ('feedback',
             CASE WHEN t.first_feedback_at IS NULL THEN stat_day(t.feedback_due_at) END)
        ) AS k(kind, due_day)
        WHERE k.due_day IS NOT NULL
        """,
    ),
    Summary(
        "stat_tip_durations",
        "stat_durations",
        "tips",
        ("scope", "metric", "month", "value"),
        ("n",),
        """
        SELECT s.scope, m.metric, stat_month(t.received_at) AS month, m.value, 1 AS n
        FROM {rows} t
        CROSS JOIN LATERAL (VALUES (t.province_code), ('')) AS s(scope)
        CROSS JOIN LATERAL (VALUES
            ('ack_hours', stat_whole(
                extract(epoch FROM t.acknowledged_at - t.received_at), 3600)),
            ('feedback_days', stat_whole(
                extract(epoch FROM t.first_feedback_at - t.received_at), 86400))
        ) AS m(metric, value)
        WHERE m.value IS NOT NULL
        """,
    ),
    Summary(
        "stat_investigation_durations",
        "stat_durations",
        "investigations",
        ("scope", "metric", "month", "value"),
        ("n",),
        """
        SELECT s.scope, 'investigation_days' AS metric, stat_month(i.concluded_at) AS month,
               stat_whole(extract(epoch FROM i.concluded_at - i.created_at), 86400) AS value,
               1 AS n
        FROM {rows} i CROSS JOIN LATERAL (VALUES (i.lead_province_code), ('')) AS s(scope)
        WHERE i.concluded_at IS NOT NULL
        """,
    ),
    Summary(
        "stat_investigations",
        "stat_investigations",
        "investigations",
        ("province_code", "month", "status", "outcome"),
        ("n",),
        """
        SELECT lead_province_code AS province_code, stat_month(created_at) AS month, status,
               coalesce(outcome, '') AS outcome, 1 AS n
        FROM {rows}
        """,
    ),
    Summary(
        "stat_conclusions",
        "stat_conclusions",
        "investigations",
        ("province_code", "month", "outcome"),
        ("n", "damage_n", "damage_thb", "recovered_n", "recovered_thb"),
        """
        SELECT lead_province_code AS province_code, stat_month(concluded_at) AS month,
               outcome, 1 AS n,
               (damage_estimated_thb IS NOT NULL)::int AS damage_n,
               coalesce(damage_estimated_thb, 0) AS damage_thb,
               (amount_recovered_thb IS NOT NULL)::int AS recovered_n,
               coalesce(amount_recovered_thb, 0) AS recovered_thb
        FROM {rows} WHERE concluded_at IS NOT NULL AND outcome IS NOT NULL
        """,
    ),
    Summary(
        "stat_referrals",
        "stat_referrals",
        "referrals",
        ("agency_code", "month", "status"),
        ("n",),
        """
        SELECT agency_code, stat_month(created_at) AS month, status, 1 AS n FROM {rows}
        """,
    ),
    Summary(
        "stat_volunteers",
        "stat_volunteers",
        "volunteers",
        ("province_code", "month", "status", "trained"),
        ("n",),
        """
        SELECT province_code, stat_month(applied_at) AS month, status,
               trainings_count > 0 AS trained, 1 AS n
        FROM {rows}
        """,
    ),
]

TABLES = sorted({s.table for s in SUMMARIES})


def _rebuild_function() -> str:
    # One writer at a time, and no trigger adding to a table being refilled.
    lock = f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE;\n"
    deletes = "".join(f"DELETE FROM {table};\n" for table in TABLES)  # noqa: S608
    statements = "".join(f"{s.rebuild()};\n" for s in SUMMARIES)
    return (
        "CREATE FUNCTION stat_rebuild() RETURNS void LANGUAGE plpgsql AS $fn$\nBEGIN\n"
        + lock
        + deletes
        + statements
        + "END\n$fn$"
    )


def _key(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=False)


def _n(name: str = "n") -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _month() -> sa.Column[object]:
    return sa.Column("month", sa.Date(), nullable=False)


def upgrade() -> None:
    op.add_column("investigations", sa.Column("damage_estimated_thb", sa.Numeric(14, 2)))
    op.add_column("investigations", sa.Column("amount_recovered_thb", sa.Numeric(14, 2)))
    op.create_check_constraint(
        op.f("ck_investigations_damage_not_negative"),
        "investigations",
        "damage_estimated_thb IS NULL OR damage_estimated_thb >= 0",
    )
    op.create_check_constraint(
        op.f("ck_investigations_recovered_not_negative"),
        "investigations",
        "amount_recovered_thb IS NULL OR amount_recovered_thb >= 0",
    )
    op.create_table(
        "stat_tip_counts",
        _key("province_code", 2),
        _month(),
        _key("dimension", 16),
        _key("value", 32),
        _n(),
        sa.PrimaryKeyConstraint(
            "province_code", "month", "dimension", "value", name=op.f("pk_stat_tip_counts")
        ),
    )
    # Per province by one dimension for a period (the province and region breakdowns).
    op.create_index(
        "ix_stat_tip_counts_dimension_month",
        "stat_tip_counts",
        ["dimension", "month", "province_code", "value"],
        postgresql_include=["n"],
    )
    op.create_table(
        "stat_tip_open_deadlines",
        _key("province_code", 2),
        _month(),
        _key("kind", 8),
        sa.Column("due_day", sa.Date(), nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(
            "province_code", "month", "kind", "due_day", name=op.f("pk_stat_tip_open_deadlines")
        ),
    )
    op.create_table(
        "stat_durations",
        _key("scope", 2),
        _key("metric", 24),
        _month(),
        sa.Column("value", sa.Integer(), nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(
            "scope", "metric", "month", "value", name=op.f("pk_stat_durations")
        ),
    )
    op.create_table(
        "stat_investigations",
        _key("province_code", 2),
        _month(),
        _key("status", 16),
        _key("outcome", 32),
        _n(),
        sa.PrimaryKeyConstraint(
            "province_code", "month", "status", "outcome", name=op.f("pk_stat_investigations")
        ),
    )
    op.create_table(
        "stat_conclusions",
        _key("province_code", 2),
        _month(),
        _key("outcome", 32),
        _n(),
        _n("damage_n"),
        sa.Column("damage_thb", sa.Numeric(18, 2), nullable=False),
        _n("recovered_n"),
        sa.Column("recovered_thb", sa.Numeric(18, 2), nullable=False),
        sa.PrimaryKeyConstraint(
            "province_code", "month", "outcome", name=op.f("pk_stat_conclusions")
        ),
    )
    op.create_table(
        "stat_referrals",
        _key("agency_code", 16),
        _month(),
        _key("status", 16),
        _n(),
        sa.PrimaryKeyConstraint("agency_code", "month", "status", name=op.f("pk_stat_referrals")),
    )
    op.create_table(
        "stat_volunteers",
        _key("province_code", 2),
        _month(),
        _key("status", 16),
        sa.Column("trained", sa.Boolean(), nullable=False),
        _n(),
        sa.PrimaryKeyConstraint(
            "province_code", "month", "status", "trained", name=op.f("pk_stat_volunteers")
        ),
    )
    for sql in FUNCTIONS:
        op.execute(sql)
    for summary in SUMMARIES:
        for sql in summary.create():
            op.execute(sql)
    op.execute(_rebuild_function())
    op.execute("SELECT stat_rebuild()")


def downgrade() -> None:
    op.execute("DROP FUNCTION stat_rebuild()")
    for summary in SUMMARIES:
        for sql in summary.drop():
            op.execute(sql)
    for name in ("stat_whole", "stat_deadline", "stat_day", "stat_month"):
        op.execute(f"DROP FUNCTION {name}")
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_constraint(op.f("ck_investigations_recovered_not_negative"), "investigations")
    op.drop_constraint(op.f("ck_investigations_damage_not_negative"), "investigations")
    op.drop_column("investigations", "amount_recovered_thb")
    op.drop_column("investigations", "damage_estimated_thb")
