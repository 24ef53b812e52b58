"""Where the API's time goes under one scenario: py-spy samples summed by area.

    PY_SPY=/path/to/py-spy .venv/bin/python -m bench.profile tips_get provinces_get

py-spy is not in the lock (install it apart, e.g. `python -m venv /tmp/spy && /tmp/spy/bin/pip
install py-spy`, and put it on PATH or in PY_SPY). The suite's database is reused (seeded
for BENCH_SCALE when needed); the API is started as `make bench` starts it, warmed up,
then recorded (`py-spy record --nonblocking -f raw`) while wrk drives the scenario. Each
sample is given to the innermost frame that belongs to a known area (SQLAlchemy,
FastAPI's dependency solving, pydantic, middleware, crypto, ...), walking out through
standard-library frames; the raw profile is kept in .data/bench/ for flame graphs. Only
the thread holding the GIL is sampled (`--gil`): threads parked on a lock (the thread
pool's idle workers) would otherwise count as time; `--all-threads` samples them all
(what runs outside the GIL, such as Argon2, shows only that way).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench.config import (
    DATA_DIR,
    RESULTS_DIR,
    load_secrets,
    scale_from_env,
    scale_url,
    server_env,
)
from bench.database import resolve_database
from bench.scenarios import Scenario, build, load_samples
from bench.seed import ensure_seeded
from bench.servers import Server, api_server
from bench.wrk import ensure_wrk, run_wrk

#: (area, path fragments), most specific first; matched against "/" + the frame's file.
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Argon2 (pwdlib, argon2-cffi)", ("/argon2/", "/pwdlib/")),
    ("crypto: AES-GCM, HMAC, HKDF", ("/cryptography/", "/persistence/crypto.py", "/hmac.py")),
    ("JWT (PyJWT)", ("/jwt/",)),
    ("rate limiter (limits)", ("/limits/",)),
    ("asyncpg driver", ("/asyncpg/",)),
    (
        "SQLAlchemy + SQLModel (session, ORM, Core, pool, greenlet)",
        ("/sqlalchemy/", "/sqlmodel/", "/greenlet/"),
    ),
    (
        "pydantic: validation and serialisation",
        ("/pydantic/", "/pydantic_core/", "/fastapi/_compat", "/fastapi/encoders.py"),
    ),
    ("FastAPI: dependency solving", ("/fastapi/dependencies/",)),
    ("FastAPI: routing, request handling", ("/fastapi/",)),
    (
        "middleware (api/middleware.py, Starlette's)",
        ("/api/middleware.py", "/starlette/middleware/"),
    ),
    ("Starlette: routing, requests, responses", ("/starlette/",)),
    ("uvicorn, httptools: HTTP", ("/uvicorn/", "/httptools/")),
    ("audit chain: canonical encoding, hashing", ("/domain/audit/",)),
    ("logging", ("/logging/",)),
    ("repositories, unit of work (persistence/)", ("/persistence/",)),
    ("domain: use cases, policy, entities", ("/domain/",)),
    ("API: routes, schemas, deps (api/)", ("/api/", "/auth/")),
    ("event loop (asyncio, uvloop)", ("/asyncio/", "/uvloop/")),
)


def area_of(frame: str) -> str | None:
    """`function (path:line)` -> its area, or None for a frame of no known area."""
    start = frame.rfind("(")
    path = "/" + (frame[start + 1 :] if start >= 0 else frame).lstrip("/")
    for area, fragments in AREAS:
        if any(fragment in path for fragment in fragments):
            return area
    return None


def summarise(raw: Path, top: int = 15) -> str:
    areas: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaves[frames[-1]] += count
        for frame in reversed(frames):
            area = area_of(frame)
            if area is not None:
                areas[area] += count
                break
        else:
            areas["other (interpreter, standard library)"] += count
    if not total:
        return "no samples\n"
    lines = [f"{total} samples", "", "| area | share |", "|---|--:|"]
    lines += [f"| {area} | {100 * n / total:.1f}% |" for area, n in areas.most_common()]
    lines += ["", f"Top {top} functions by own time:", "", "| function | share |", "|---|--:|"]
    lines += [f"| `{leaf}` | {100 * n / total:.1f}% |" for leaf, n in leaves.most_common(top)]
    return "\n".join(lines) + "\n"


def py_spy() -> str:
    found = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy is needed (not in the lock): install it apart; set PY_SPY")
    return found


def record(spy: str, wrk: str, api: Server, scenario: Scenario, args: argparse.Namespace) -> str:
    """Warm up, then record the API with py-spy while wrk drives the scenario."""
    path = scenario.write(DATA_DIR / "requests")
    conns = scenario.connections or args.connections
    prefix = f"profile-{secrets.token_hex(4)}-{scenario.name}"  # Idempotency-Keys: 16+ chars
    run_wrk(wrk, api.base, path, seconds=3, connections=conns, prefix=prefix + "-warm")
    raw = DATA_DIR / f"profile-{scenario.name}-{time.strftime('%Y%m%dT%H%M%S')}.txt"
    command = [spy, "record", "--nonblocking", "--pid", str(api.pid), "--rate", str(args.rate)]
    command += ["--duration", str(round(args.seconds)), "--format", "raw", "--output", str(raw)]
    if not args.all_threads:
        command.append("--gil")  # CPU in Python, not threads parked on a lock
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = run_wrk(wrk, api.base, path, seconds=args.seconds, connections=conns, prefix=prefix)
    recorder.wait(timeout=120)
    text = (
        f"## {scenario.name}\n\n{scenario.title}: {result.rps:.0f} req/s while recorded,"
        f" {result.errors} errors, {conns} connections, {args.seconds:g} s.\n\n" + summarise(raw)
    )
    print(text)
    return text


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="+")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument(
        "--all-threads",
        action="store_true",
        help="sample every thread, not only the one holding the GIL (see Argon2, to_thread)",
    )
    args = parser.parse_args()
    spy, wrk = py_spy(), ensure_wrk()
    keys = load_secrets()
    async with resolve_database() as base:
        scale = scale_from_env()
        url = scale_url(base, scale)
        await ensure_seeded(url, scale, keys)
        samples = await load_samples(url)
        api = api_server(server_env(url, keys))
        api.start("/health/ready")
        try:
            sections = []
            for name in args.scenarios:
                scenario = next((s for s in build(samples, keys) if s.name == name), None)
                if scenario is None:
                    raise SystemExit(f"no scenario {name!r}")
                sections.append(record(spy, wrk, api, scenario, args))
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            (RESULTS_DIR / "latest-profile.md").write_text(
                f"# Where the API's time goes ({scale.name} scale, {time.strftime('%Y-%m-%d')})\n\n"
                "`python -m bench.profile " + " ".join(args.scenarios) + "`: py-spy samples of"
                " the thread holding the GIL, each given to the innermost frame of a known area"
                " (see bench/profile.py). Shares of the API process's Python time, not of the"
                " request's wall time (waiting for PostgreSQL is not sampled).\n\n"
                + "\n".join(sections)
            )
        finally:
            api.stop()


if __name__ == "__main__":
    asyncio.run(main())
