"""Only the suite's audit chain step: verify and export, the API beside the reference.

    BENCH_SCALE=small .venv/bin/python -m bench.audit_read [verify|export|both] [rounds]

Starts both servers as `make bench` does (bench/servers.py) on the scale's database (seeded
when needed), then times `GET /api/v1/audit-log/verify` and the NDJSON export with the
suite's own functions, rounds interleaved, and prints entries (rows) per second, the
server's CPU seconds for the request (steadier than wall time on a shared machine) and,
for the export, its RSS growth. An export appends its `audit.exported` entry: run it on
a database of your own, not one another run must leave as it is.
"""

from __future__ import annotations

import asyncio
import sys

import psutil  # type: ignore[import-untyped]  # no stubs in the lock; a bench only

from bench import suite
from bench.config import load_secrets, scale_from_env, scale_url, server_env
from bench.database import resolve_database
from bench.scenarios import auditor_headers, load_samples
from bench.seed import ensure_seeded
from bench.servers import Server, api_server, reference_server


def cpu_seconds(server: Server) -> float:
    times = psutil.Process(server.pid).cpu_times()
    return float(times.user + times.system)


async def main(what: str, rounds: int) -> None:
    keys = load_secrets()
    scale = scale_from_env()
    async with resolve_database() as base:
        url = scale_url(base, scale)
        await ensure_seeded(url, scale, keys)
        env = server_env(url, keys)
        headers = auditor_headers(await load_samples(url), keys)
        servers = {"api": api_server(env), "reference": reference_server(env)}
        try:
            servers["api"].start("/health/ready")
            servers["reference"].start("/api/v1/provinces/10")
            for _ in range(rounds):
                for name, server in servers.items():
                    if what in ("verify", "both"):
                        before = cpu_seconds(server)
                        v = suite.verify(server, headers)
                        print(
                            f"{name:9} verify {v['entries']} valid={v['valid']}"
                            f" {v['entries_per_second']:,.0f} entries/s"
                            f" cpu {cpu_seconds(server) - before:.2f} s",
                            flush=True,
                        )
                    if what in ("export", "both"):
                        before = cpu_seconds(server)
                        e = suite.export(server, headers)
                        print(
                            f"{name:9} export {e['rows']} {e['rows_per_second']:,.0f} rows/s"
                            f" cpu {cpu_seconds(server) - before:.2f} s"
                            f" rss +{e['rss_growth_mib']:.1f} MiB",
                            flush=True,
                        )
        finally:
            for server in servers.values():
                server.stop()


if __name__ == "__main__":
    asyncio.run(
        main(
            sys.argv[1] if len(sys.argv) > 1 else "both",
            int(sys.argv[2]) if len(sys.argv) > 2 else 3,
        )
    )
