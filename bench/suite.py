"""`make bench`: seed (or reuse) the data set, start the API as in production and the
reference beside it, check they answer alike, drive every scenario with wrk in interleaved
rounds, time the chain verification and the export, and write the report.

It reports numbers and asserts nothing about speed. See bench/config.py for the knobs
(BENCH_SCALE, BENCH_SECONDS, BENCH_ROUNDS, BENCH_SCENARIOS, ...) and docs/benchmarks.md
for the latest results.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import psutil  # type: ignore[import-untyped]  # no stubs in the lock; a bench only

from auth.passwords import hash_password, verify_password
from bench import report
from bench.chain import chain_ceiling
from bench.client import one, open_loop
from bench.config import (
    DATA_DIR,
    LOCAL_URL,
    RESULTS_DIR,
    SCALES,
    Scale,
    Timing,
    asyncpg_dsn,
    database_name,
    load_secrets,
    scale_from_env,
    scale_url,
    server_env,
    timing_from_env,
)
from bench.database import resolve_database
from bench.meter import CpuMeter, calibrate, machine_busy, settle, steal_seconds
from bench.scenarios import Samples, Scenario, auditor_headers, build, load_samples
from bench.seed import ensure_seeded
from bench.servers import (
    MiB,
    RssSampler,
    Server,
    api_server,
    api_supports_workers,
    reference_server,
)
from bench.wrk import WrkResult, ensure_wrk, run_wrk

RUN_ID = secrets.token_hex(4)


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# -- measuring ----------------------------------------------------------------------------


#: The benchmark database's name (its PostgreSQL backends are ours, others are foreign).
DATABASE = "duangta_bench"


def measured_run(
    wrk: str,
    servers: dict[str, Server],
    name: str,
    path: Any,
    *,
    seconds: float,
    connections: int,
    label: str,
) -> dict[str, Any]:
    server = servers[name]
    settle(list(servers.values()))
    sampler = RssSampler(server, interval=0.1)
    sampler.start()
    with CpuMeter(servers, DATABASE) as meter:
        result = run_wrk(
            wrk,
            server.base,
            path,
            seconds=seconds,
            connections=connections,
            # Idempotency keys are [A-Za-z0-9._:-]: "1 worker" must not put a space in them
            # (it did: every request of the workers' intake rounds was a 422).
            prefix=f"bench-{RUN_ID}-{label}".replace(" ", "_"),
        )
    peak = sampler.stop()
    use = meter.use
    per = max(1, result.requests)
    return {
        **asdict(result),
        "rps": result.rps,
        "rss_peak_mib": peak / MiB,
        "cpu_ms_per_request": use.servers[name] * 1000 / per,
        "db_cpu_ms_per_request": use.database * 1000 / per,
        "foreign_cores": use.foreign_share,
    }


def summarise(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return float(statistics.median(r[key] for r in rounds))

    return {
        "rps": median("rps"),
        "p50_ms": median("p50_ms"),
        "p90_ms": median("p90_ms"),
        "p99_ms": median("p99_ms"),
        "errors": sum(r["errors"] for r in rounds),
        "requests": sum(r["requests"] for r in rounds),
        "rss_peak_mib": max(r["rss_peak_mib"] for r in rounds),
        "cpu_ms_per_request": median("cpu_ms_per_request"),
        "db_cpu_ms_per_request": median("db_cpu_ms_per_request"),
        "foreign_cores": max(r["foreign_cores"] for r in rounds),
        "rounds": rounds,
    }


def interleaved(
    wrk: str,
    servers: dict[str, Server],
    scenario: Scenario,
    timing: Timing,
    *,
    connections: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Warm every server up, then `rounds` rounds, the order alternating each round."""
    path = scenario.write(DATA_DIR / "requests")
    conns = connections or scenario.connections or timing.connections
    if scenario.kind == "argon2":  # a few sign-ins a second: rounds long enough to count
        timing = replace(timing, seconds=max(timing.seconds, 10.0))
    names = list(servers)
    for name in names:
        settle(list(servers.values()))
        run_wrk(
            wrk,
            servers[name].base,
            path,
            seconds=timing.warmup,
            connections=conns,
            prefix=f"bench-{RUN_ID}-{name}-warm-{scenario.name}",
        )
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for index in range(timing.rounds):
        order = names if index % 2 == 0 else list(reversed(names))
        for name in order:
            rounds[name].append(
                measured_run(
                    wrk,
                    servers,
                    name,
                    path,
                    seconds=timing.seconds,
                    connections=conns,
                    label=f"{name}-r{index}-{scenario.name}",
                )
            )
    return {name: summarise(rounds[name]) for name in names}


# -- parity ---------------------------------------------------------------------------------


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_shape(inner) for inner in value[:1]]
    return type(value).__name__


async def parity(api: Server, reference: Server, scenario: Scenario) -> str:
    """Do both servers answer the same request alike? Same bytes, or (for answers with
    fresh ids and secrets) the same status, keys, types and length."""
    raw = scenario.requests[0]
    settle([api, reference])  # requests still in flight after the previous scenario
    a = await one(api.port, raw)
    b = await one(reference.port, raw)
    if a.status != scenario.expect or b.status != scenario.expect:
        return f"status {a.status} vs {b.status} (expected {scenario.expect})"
    if scenario.same_bytes:
        if a.body == b.body:
            return "same bytes"
        return f"DIFFERENT bytes ({len(a.body)} vs {len(b.body)})"
    if _shape(json.loads(a.body)) == _shape(json.loads(b.body)) and len(a.body) == len(b.body):
        return "same keys, types and length"
    return "DIFFERENT shape"


# -- single timed requests: verify and export -------------------------------------------------


def timed_get(server: Server, path: str, headers: dict[str, str]) -> tuple[float, bytes, int]:
    """One request; (seconds, body, server RSS peak during it in bytes)."""
    sampler = RssSampler(server, interval=0.02)
    sampler.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=1800)
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    took = time.perf_counter() - started
    connection.close()
    return took, body, sampler.stop()


def verify(server: Server, headers: dict[str, str]) -> dict[str, Any]:
    before = server.rss()
    took, body, peak = timed_get(server, "/api/v1/audit-log/verify", headers)
    result = json.loads(body)
    return {
        "entries": result.get("checked"),
        "valid": result.get("valid"),
        "to_seq": result.get("to_seq"),
        "head_hash": result.get("head_hash"),
        "seconds": took,
        "entries_per_second": (result.get("checked") or 0) / took if took else 0.0,
        "rss_before_mib": before / MiB,
        "rss_peak_mib": peak / MiB,
    }


def export(server: Server, headers: dict[str, str], keep: int = 1000) -> dict[str, Any]:
    """Stream the whole log as NDJSON; rows per second and the server's RSS growth."""
    before = server.rss()
    sampler = RssSampler(server, interval=0.02)
    sampler.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=1800)
    started = time.perf_counter()
    connection.request("GET", "/api/v1/audit-log/export?format=ndjson", headers=headers)
    response = connection.getresponse()
    first_byte = time.perf_counter() - started
    rows = size = 0
    head: list[bytes] = []
    tail = b""
    while chunk := response.read(256 * 1024):
        size += len(chunk)
        rows += chunk.count(b"\n")
        if len(head) < keep:
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            head.extend(lines[: keep - len(head)])
    took = time.perf_counter() - started
    connection.close()
    peak = sampler.stop()
    return {
        "status": response.status,
        "rows": rows,
        "mib": size / MiB,
        "seconds": took,
        "first_byte_seconds": first_byte,
        "rows_per_second": rows / took if took else 0.0,
        "rss_before_mib": before / MiB,
        "rss_peak_mib": peak / MiB,
        "rss_growth_mib": (peak - before) / MiB,
        "head": b"\n".join(head).decode(),
    }


# -- the rest -----------------------------------------------------------------------------------


def argon2_cost() -> dict[str, Any]:
    """What one password hash costs with the service's parameters (auth/passwords.py)."""
    from pwdlib.hashers.argon2 import Argon2Hasher

    params = Argon2Hasher()._hasher  # the parameters pwdlib uses by default
    started = time.perf_counter()
    stored = hash_password("bench-password-123456")
    hashing = time.perf_counter() - started
    times, cpu = [], []
    for _ in range(5):
        started, cpu_started = time.perf_counter(), time.process_time()
        verify_password("bench-password-123456", stored)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)  # all threads of this process
    return {
        "algorithm": "argon2id",
        "time_cost": params.time_cost,
        "memory_kib": params.memory_cost,
        "parallelism": params.parallelism,
        "hash_ms": hashing * 1000,
        "verify_ms": statistics.median(times) * 1000,
        "verify_cpu_ms": statistics.median(cpu) * 1000,
        "max_per_second": (os.cpu_count() or 1) / statistics.median(cpu),
    }


async def machine(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        pg = await conn.fetchval("SHOW server_version")
        shared = await conn.fetchval("SHOW shared_buffers")
    finally:
        await conn.close()
    return {**host(), "postgresql": pg, "shared_buffers": shared}


def host() -> dict[str, Any]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    wrk_version = subprocess.run(
        ["wrk", "--version"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    from importlib.metadata import version

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "wrk": wrk_version[0] if wrk_version else "wrk",
        "packages": {
            name: version(name)
            for name in ("fastapi", "starlette", "uvicorn", "pydantic", "sqlalchemy", "asyncpg")
        },
    }


def database_label(base: str, url: str) -> str:
    name = database_name(url)
    if os.environ.get("BENCH_DATABASE_URL"):
        return f"BENCH_DATABASE_URL, database {name}"
    if base == LOCAL_URL:
        return f"the machine's PostgreSQL (127.0.0.1:5432), database {name}"
    return f"an embedded PostgreSQL (.data/bench-pg), database {name}"


def selected(scenarios: list[Scenario]) -> list[Scenario]:
    wanted = {s.strip() for s in os.environ.get("BENCH_SCENARIOS", "").split(",") if s.strip()}
    return [s for s in scenarios if not wanted or s.name in wanted]


def wait_for_quiet() -> float:
    """The machine may be shared: wait (BENCH_QUIET_WAIT seconds, default 120) for other
    work to calm down before starting; return how busy it was at the start (cores)."""
    limit = float(os.environ.get("BENCH_QUIET_WAIT", "120"))
    deadline = time.monotonic() + limit
    busy = machine_busy()
    while busy > 0.3 and time.monotonic() < deadline:
        log(f"the machine is busy ({busy:.1f} cores in use by others): waiting")
        time.sleep(10)
        busy = machine_busy()
    return busy


async def run(scale: Scale, timing: Timing) -> dict[str, Any]:
    wrk = ensure_wrk()
    keys = load_secrets()
    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "run_id": RUN_ID,
        "started_at": started.isoformat(timespec="seconds"),
        "scale": asdict(scale),
        "timing": asdict(timing),
        "command": f"BENCH_SCALE={scale.name} make bench",
    }
    global DATABASE
    async with resolve_database() as base:
        url = scale_url(base, scale)
        DATABASE = database_name(url)
        seed_info = await ensure_seeded(url, scale, keys)
        result["seed"] = {
            "reused": seed_info.reused,
            "seconds": seed_info.seconds,
            "counts": seed_info.counts,
            "revision": seed_info.revision,
        }
        result["database"] = database_label(base, url)
        result["machine"] = await machine(url)
        env = server_env(url, keys)
        samples = await load_samples(url)
        result["argon2"] = argon2_cost()
        result["busy_at_start"] = wait_for_quiet()
        result["calibration_ms"] = {"start": calibrate()}
        steal_start, steal_clock = steal_seconds(), time.monotonic()
        (DATA_DIR / "requests").mkdir(parents=True, exist_ok=True)
        api, reference = api_server(env), reference_server(env)
        try:
            api.start("/health/ready")
            reference.start("/api/v1/provinces/10")
            log(
                f"API pid {api.pid} on :{api.port}, reference pid {reference.pid} on :{reference.port}"
            )
            result["scenarios"] = await scenarios(wrk, api, reference, samples, keys, timing)
            result["list_latency_1_connection"] = await list_latency(
                wrk,
                base,
                scale,
                {"api": (api, samples), "reference": (reference, samples)},
                keys,
                timing,
            )
            if not os.environ.get("BENCH_SCENARIOS") or "audit_chain" in os.environ.get(
                "BENCH_SCENARIOS", ""
            ):
                log("audit chain ceiling: appends per second without HTTP")
                settle([api, reference])
                result["chain"] = await chain_ceiling(url, seconds=timing.seconds)
                for row in result["chain"]:
                    log(
                        f"  synchronous_commit={row['synchronous_commit']}:"
                        f" {row['entries_per_second']:.0f} entries/s"
                    )
            headers = auditor_headers(samples, keys)
            if not os.environ.get("BENCH_SCENARIOS") or "audit_verify" in os.environ.get(
                "BENCH_SCENARIOS", ""
            ):
                log("audit chain verification (one request each)")
                result["verify"] = {
                    "api": verify(api, headers),
                    "reference": verify(reference, headers),
                }
            if not os.environ.get("BENCH_SCENARIOS") or "audit_export" in os.environ.get(
                "BENCH_SCENARIOS", ""
            ):
                log("audit export (one request each)")
                exported: dict[str, Any] = {
                    "api": export(api, headers),
                    "reference": export(reference, headers),
                }
                a_head = exported["api"].pop("head")
                b_head = exported["reference"].pop("head")
                exported["parity"] = (
                    f"first {a_head.count(chr(10)) + 1} lines identical"
                    if a_head == b_head
                    else "DIFFERENT first lines"
                )
                result["export"] = exported
        finally:
            api.stop()
            reference.stop()
        result["workers"] = workers(wrk, env, samples, keys, timing)
        result["calibration_ms"]["end"] = calibrate()
        result["steal_cores"] = (steal_seconds() - steal_start) / max(
            1e-9, time.monotonic() - steal_clock
        )
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return result


async def scenarios(
    wrk: str,
    api: Server,
    reference: Server,
    samples: Samples,
    keys: Any,
    timing: Timing,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    servers = {"api": api, "reference": reference}
    for name in [s.name for s in selected(build(samples, keys))]:
        # Tokens live 15 minutes: mint them afresh for every scenario.
        scenario = next(s for s in build(samples, keys) if s.name == name)
        measured: dict[str, dict[str, Any] | None]
        if scenario.has_reference:
            same = await parity(api, reference, scenario)
            measured = dict(interleaved(wrk, servers, scenario, timing))
        else:  # nothing to compare with: the API alone, the reference's rounds not run
            same = "API only (no reference implementation)"
            measured = {**interleaved(wrk, {"api": api}, scenario, timing), "reference": None}
        log(f"{scenario.name}: parity {same}; {timing.rounds} rounds of {timing.seconds:g} s")
        row: dict[str, Any] = {
            "name": scenario.name,
            "title": scenario.title,
            "kind": scenario.kind,
            "target": scenario.target,
            "notes": scenario.notes,
            "parity": same,
            **measured,
        }
        ours, ref = measured["api"], measured["reference"]
        assert ours is not None
        row["ratio"] = ours["rps"] / ref["rps"] if ref and ref["rps"] else None
        log(
            f"  api {ours['rps']:.0f} req/s (p99 {ours['p99_ms']:.1f} ms)"
            + (f", reference {ref['rps']:.0f} req/s, ratio {row['ratio'] or 0:.2f}" if ref else "")
        )
        if scenario.name in ("provinces_get", "tips_get", "tips_create"):
            rate = ours["rps"] / 2
            loop = await open_loop(
                api.port,
                scenario.requests,
                rate=rate,
                seconds=timing.seconds,
                expect=scenario.expect,
            )
            row["half_load"] = asdict(loop)
            log(f"  at half the API's rate ({rate:.0f}/s, open loop): p99 {loop.p99_ms:.1f} ms")
        out.append(row)
    return out


SMALL_API = report.SMALL_API


async def list_latency(
    wrk: str,
    base: str,
    scale: Scale,
    servers: dict[str, tuple[Server, Samples]],
    keys: Any,
    timing: Timing,
) -> dict[str, Any]:
    """Latency of the lists on one connection (no queueing). A full run also starts an API
    on the small scale's database (seeding it when needed) and measures it in the same
    interleaved rounds: issue 10 wants 1,000,000 tips within 1.25x of 10,000.

    The two APIs compared are alike but for their data: both freshly started for this
    step, warmed up the same way, over at least 5 rounds. (Comparing the API that had
    served every scenario with a fresh one, over 3 rounds, gave 1.55x, 1.32x and 0.91x for
    the first page in three runs within an hour on a quiet machine: at a millisecond on one
    connection, the rounds spread as widely as the effect. Fresh against fresh, 6 rounds:
    1.08x; in one process the page cost the same CPU at both sizes.)"""
    wanted = os.environ.get("BENCH_SCENARIOS", "")
    names = [n for n in ("tips_list_first", "tips_list_deep") if not wanted or n in wanted]
    if not names:
        return {}
    servers = dict(servers)
    extras: list[Server] = []
    if scale.name == "full":
        timing = replace(timing, rounds=max(timing.rounds, 5))
        _, samples = servers["api"]
        fresh = api_server(server_env(scale_url(base, scale), keys), name="api-latency")
        extras.append(fresh)
        fresh.start("/health/ready")
        servers["api"] = (fresh, samples)
        small = SCALES["small"]
        small_url = scale_url(base, small)
        await ensure_seeded(small_url, small, keys)
        extra = api_server(server_env(small_url, keys), name="api-small")
        extras.append(extra)
        extra.start("/health/ready")
        servers[SMALL_API] = (extra, await load_samples(small_url))
    try:
        return _list_latency(wrk, names, servers, keys, timing)
    finally:
        for server in extras:
            server.stop()


def _list_latency(
    wrk: str,
    names: list[str],
    servers: dict[str, tuple[Server, Samples]],
    keys: Any,
    timing: Timing,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for scenario_name in names:
        paths = {}
        for label, (_server, samples) in servers.items():
            scenario = next(s for s in build(samples, keys) if s.name == scenario_name)
            paths[label] = scenario.write(DATA_DIR / "requests" / label.replace(" ", "_"))
        rounds: dict[str, list[WrkResult]] = {label: [] for label in servers}
        labels = list(servers)
        for label in labels:  # the same warm-up for every server, fresh or not
            run_wrk(
                wrk,
                servers[label][0].base,
                paths[label],
                seconds=max(1.0, timing.warmup),
                connections=1,
                prefix=f"bench-{RUN_ID}-lat-warm",
            )
        for index in range(timing.rounds):
            for label in labels if index % 2 == 0 else list(reversed(labels)):
                settle([server for server, _ in servers.values()])
                rounds[label].append(
                    run_wrk(
                        wrk,
                        servers[label][0].base,
                        paths[label],
                        seconds=max(2.0, timing.seconds / 2),
                        connections=1,
                        prefix=f"bench-{RUN_ID}-lat",
                    )
                )
        out[scenario_name] = {
            label: {
                "p50_ms": statistics.median(r.p50_ms for r in results),
                "p99_ms": statistics.median(r.p99_ms for r in results),
                # Each round's p50: at a millisecond on one connection the spread between
                # rounds is as large as the effect measured, so the report can show it.
                "p50_rounds_ms": [r.p50_ms for r in results],
            }
            for label, results in rounds.items()
        }
        log(
            f"{scenario_name}, one connection: "
            + ", ".join(f"{k} p50 {v['p50_ms']:.2f} ms" for k, v in out[scenario_name].items())
        )
    return out


def workers(
    wrk: str, env: dict[str, str], samples: Samples, keys: Any, timing: Timing
) -> dict[str, Any]:
    """1 vs 2 API worker processes, when `python -m api --workers N` exists."""
    if not api_supports_workers():
        log("`python -m api --workers` does not exist yet: 1 vs 2 workers skipped")
        return {"supported": False}
    servers = {"1 worker": api_server(env, workers=1), "2 workers": api_server(env, workers=2)}
    out: dict[str, Any] = {"supported": True, "scenarios": []}
    try:
        for server in servers.values():
            server.start("/health/ready")
        for scenario in build(samples, keys):
            if scenario.name not in ("provinces_get", "tips_get", "tips_list_first", "tips_create"):
                continue
            measured = interleaved(wrk, dict(servers), scenario, timing)
            out["scenarios"].append({"name": scenario.name, "title": scenario.title, **measured})
            log(
                f"workers {scenario.name}: "
                + ", ".join(f"{k} {v['rps']:.0f} req/s" for k, v in measured.items())
            )
    finally:
        for server in servers.values():
            server.stop()
    return out


def main() -> None:
    scale = scale_from_env()
    timing = timing_from_env(scale)
    log(
        f"scale {scale.name}: {timing.rounds} rounds x {timing.seconds:g} s per server and "
        f"scenario, {timing.connections} connections, warm-up {timing.warmup:g} s"
    )
    result = asyncio.run(run(scale, timing))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    markdown = report.run_markdown(result)
    names = [f"{stamp}-{scale.name}"]
    complete = not os.environ.get("BENCH_SCENARIOS")
    if complete:  # a partial run never replaces the latest complete one
        names.append(f"latest-{scale.name}")
    for name in names:
        (RESULTS_DIR / f"{name}.md").write_text(markdown)
        (RESULTS_DIR / f"{name}.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    if complete:
        report.write_docs()
    log(
        f"report: bench/results/{names[0]}.md"
        + ("; docs/benchmarks.md updated" if complete else "")
    )
    print(markdown)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
