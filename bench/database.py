"""Which PostgreSQL the benchmark uses (see bench/config.py for the rules)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bench.config import EMBEDDED_PGDATA, LOCAL_URL, local_server_answers, with_database


@asynccontextmanager
async def resolve_database() -> AsyncIterator[str]:
    """BENCH_DATABASE_URL; else `duangta_bench` on 127.0.0.1:5432 when it answers (and
    BENCH_EMBEDDED is not set); else an embedded PostgreSQL in .data/bench-pg, kept running
    while the context is open."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        yield url
        return
    if local_server_answers() and os.environ.get("BENCH_EMBEDDED", "") in ("", "0"):
        yield LOCAL_URL
        return
    from persistence.embedded import start_embedded_postgres

    print(f"[bench] starting an embedded PostgreSQL in {EMBEDDED_PGDATA}", flush=True)
    server_url = start_embedded_postgres(EMBEDDED_PGDATA)
    yield with_database(server_url, "duangta_bench")
