"""Concurrent audited requests against two API processes: one chain, no gaps, no forks.

    .venv/bin/python -m bench.chain_under_load [--requests 200] [--url postgresql+asyncpg://...]

Recreates its own database (default `duangta_audit_load`), starts two API processes on
it, fires `--requests` concurrent exports (each one appends `audit.exported`) split
between them, then asks one of them to verify the whole chain. Prints what it found.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx

from api.settings import Settings
from auth.tokens import issue_access_token
from bench.export_memory import free_port, prepare

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/duangta_audit_load"


async def fire(ports: list[int], headers: dict[str, str], requests: int) -> dict[str, object]:
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) for port in ports
    ]
    try:
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(
                clients[n % len(clients)].get(
                    "/api/v1/audit-log/export",
                    params={"actor_id": f"nobody-{n}", "format": ("ndjson", "csv")[n % 2]},
                    headers=headers,
                )
                for n in range(requests)
            )
        )
        took = time.perf_counter() - started
        seqs = sorted(int(r.headers["x-audit-export-seq"]) for r in responses)
        verify = (await clients[0].get("/api/v1/audit-log/verify", headers=headers)).json()
        return {
            "statuses": sorted({r.status_code for r in responses}),
            "seconds": round(took, 2),
            "export seqs are 1..n": seqs == list(range(1, requests + 1)),
            "verify": verify,
        }
    finally:
        for client in clients:
            await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    auditor = asyncio.run(prepare(args.url, 0))
    settings = Settings(_env_file=None, database_url=args.url)
    token = issue_access_token(settings.token_config(), auditor.principal(), now=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {token.token}"}
    env = {**os.environ, "DATABASE_URL": args.url, "LOG_LEVEL": "WARNING"}
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen([sys.executable, "-m", "api", "--port", str(port)], env=env)
        for port in ports
    ]
    try:
        for port in ports:
            for _ in range(200):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        result = asyncio.run(fire(ports, headers, args.requests))
        print(f"{args.requests} concurrent exports over 2 API processes:")
        for key, value in result.items():
            print(f"  {key}: {value}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
