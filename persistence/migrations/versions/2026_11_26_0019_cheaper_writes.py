"""Cheaper audited writes: one trigger call per statement and source table for the
statistics summaries, and the audit chain's lock and head read in one round trip.

1. **One trigger per source table.** Migration 0017 gave each summary its own
   statement-level trigger, so a tip INSERT ran three PL/pgSQL functions, took the audit
   chain's lock three times and ran three upserts (investigations likewise). Here the
   summaries of one source table are applied by one function in one statement (one
   data-modifying CTE per summary: distinct tables, so no row is touched twice), after
   taking the lock once. The projections, the upserts (keys in a fixed order, updates
   that change no figure skipped) and `stat_rebuild()` are 0017's, unchanged: the figures
   are the same. Referrals and volunteers had one summary each and keep their trigger.
2. **Summary rows updated in place (HOT).** `ix_stat_tip_counts_dimension_month`
   carried `n` (INCLUDE), so no update of a count could be a heap-only update: each tip
   wrote ten new index entries into both of the table's indexes and left ten dead ones
   (1.4 million dead tuples, 0 HOT updates after a few bench runs). Without `n` in the
   index, and with room left on each page (fillfactor 50), the counts are updated in
   place. The breakdowns that used the index still use it (a bitmap scan instead of an
   index-only scan; the same or less time at both bench scales).
3. **`audit_chain_head()`**: takes the chain's advisory lock and returns the head
   (`seq, hash, occurred_at`; no row for an empty chain). A VOLATILE PL/pgSQL function
   runs each statement with a fresh snapshot (READ COMMITTED), so the head is read
   *after* the lock is granted and includes the entry its previous holder committed,
   exactly as the two statements the writers sent before (lock, then head), in one
   round trip instead of two while the lock is held.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_0017 = importlib.import_module("persistence.migrations.versions.2026_11_26_0017_statistics")
AUDIT_CHAIN_LOCK: int = _0017.AUDIT_CHAIN_LOCK
SUMMARIES = _0017.SUMMARIES

#: Source tables whose summaries are applied together (the others keep 0017's trigger).
MERGED = ("tips", "investigations")

INDEX = "ix_stat_tip_counts_dimension_month"

AUDIT_CHAIN_HEAD = f"""
CREATE FUNCTION audit_chain_head(OUT seq bigint, OUT hash text, OUT occurred_at timestamptz)
RETURNS SETOF record LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    -- The lock first; the query below then takes a fresh snapshot (VOLATILE, READ
    -- COMMITTED) that sees the entry of the lock's previous holder.
    PERFORM pg_advisory_xact_lock({AUDIT_CHAIN_LOCK});
    RETURN QUERY SELECT a.seq, a.hash::text, a.occurred_at
        FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
END
$fn$
"""  # noqa: S608


def _combined(upserts: list[str]) -> str:
    """Several upserts as one statement: all but the last as data-modifying CTEs."""
    *first, last = upserts
    if not first:
        return last
    ctes = ", ".join(f"s{i} AS ({sql})" for i, sql in enumerate(first))
    return f"WITH {ctes} {last}"


def _merged_function(source: str) -> list[str]:
    summaries = [s for s in SUMMARIES if s.source == source]
    new = [s.upsert(s.project("new_rows"), skip_zero=False) for s in summaries]
    changed = [
        s.upsert(f"{s.project('new_rows')} UNION ALL {s.project('old_rows', '-')}", skip_zero=True)
        for s in summaries
    ]
    old = [s.upsert(s.project("old_rows", "-"), skip_zero=False) for s in summaries]
    name = f"stat_apply_{source}"
    body = f"""
    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        -- The audit chain's lock before any summary row (see migration 0017: no
        -- deadlock between a hot summary row and the chain's lock).
        PERFORM pg_advisory_xact_lock({AUDIT_CHAIN_LOCK});
        IF TG_OP = 'INSERT' THEN
            {_combined(new)};
        ELSIF TG_OP = 'UPDATE' THEN
            {_combined(changed)};
        ELSE
            {_combined(old)};
        END IF;
        RETURN NULL;
    END
    $fn$
    """
    prefix = f"stat_{source}"
    return [
        body,
        f"CREATE TRIGGER {prefix}_ins AFTER INSERT ON {source} REFERENCING NEW TABLE AS"
        f" new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        f"CREATE TRIGGER {prefix}_upd AFTER UPDATE ON {source} REFERENCING OLD TABLE AS"
        f" old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        f"CREATE TRIGGER {prefix}_del AFTER DELETE ON {source} REFERENCING OLD TABLE AS"
        f" old_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
    ]


def _drop_merged(source: str) -> list[str]:
    return [
        *(f"DROP TRIGGER stat_{source}_{op_} ON {source}" for op_ in ("ins", "upd", "del")),
        f"DROP FUNCTION stat_apply_{source}()",
    ]


def upgrade() -> None:
    for source in MERGED:
        for summary in SUMMARIES:
            if summary.source == source:
                for sql in summary.drop():
                    op.execute(sql)
        for sql in _merged_function(source):
            op.execute(sql)
    op.drop_index(INDEX, table_name="stat_tip_counts")
    op.create_index(INDEX, "stat_tip_counts", ["dimension", "month", "province_code", "value"])
    op.execute("ALTER TABLE stat_tip_counts SET (fillfactor = 50)")
    op.execute(AUDIT_CHAIN_HEAD)


def downgrade() -> None:
    op.execute("DROP FUNCTION audit_chain_head()")
    op.execute("ALTER TABLE stat_tip_counts RESET (fillfactor)")
    op.drop_index(INDEX, table_name="stat_tip_counts")
    op.create_index(
        INDEX,
        "stat_tip_counts",
        ["dimension", "month", "province_code", "value"],
        postgresql_include=["n"],
    )
    for source in MERGED:
        for sql in _drop_merged(source):
            op.execute(sql)
        for summary in SUMMARIES:
            if summary.source == source:
                for sql in summary.create():
                    op.execute(sql)
