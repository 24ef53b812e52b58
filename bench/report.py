"""Markdown of a run (bench/results/) and of the latest runs (docs/benchmarks.md)."""

from __future__ import annotations

import json
from typing import Any

from bench.config import RESULTS_DIR, ROOT

DOCS = ROOT / "docs" / "benchmarks.md"
#: Issue 10's targets, as the report words them.
RSS_LIMIT_MIB = 200
EXPORT_GROWTH_LIMIT_MIB = 50
VERIFY_TARGET = 100_000
INTAKE_TARGET = 500
HALF_LOAD_P99_MS = 50
LIST_SCALE_FACTOR = 1.25
#: The label of the API on the small scale's database in a full run (bench/suite.py).
SMALL_API = "api at 10,000 tips"


def _n(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "**missed**")


def scenario_table(result: dict[str, Any]) -> list[str]:
    lines = [
        "| scenario | kind | API req/s | reference req/s | ratio (target) | API p50 / p90 / p99 ms"
        " | reference p99 ms | API RSS MiB | reference RSS MiB | API CPU ms/req | DB CPU ms/req"
        " | other load | same answer |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in result.get("scenarios", []):
        api, ref = row["api"], row["reference"]
        target = f" ({row['target']:.1f}x)" if row.get("target") else ""
        ratio = f"{row['ratio']:.2f}x{target}" if row.get("ratio") is not None else "-"
        errors = f" ⚠ {api['errors']} errors" if api["errors"] else ""
        if ref is None:  # a scenario the reference does not implement
            ref_rps = ref_p99 = ref_rss = "-"
        else:
            ref_errors = f" ⚠ {ref['errors']} errors" if ref["errors"] else ""
            ref_rps = f"{_n(ref['rps'])}{ref_errors}"
            ref_p99, ref_rss = _ms(ref["p99_ms"]), _n(ref["rss_peak_mib"])
        lines.append(
            f"| {row['title']} | {row['kind']} | {_n(api['rps'])}{errors} | {ref_rps}"
            f" | {ratio} | {_ms(api['p50_ms'])} / {_ms(api['p90_ms'])} / {_ms(api['p99_ms'])}"
            f" | {ref_p99} | {_n(api['rss_peak_mib'])} | {ref_rss}"
            f" | {api['cpu_ms_per_request']:.2f} | {api['db_cpu_ms_per_request']:.2f}"
            f" | {_foreign(row):.2f} | {row['parity']} |"
        )
    return lines


def _foreign(row: dict[str, Any]) -> float:
    """The most CPU other processes used during the row's rounds (either server's)."""
    ref = row["reference"]
    return float(max(row["api"]["foreign_cores"], ref["foreign_cores"] if ref else 0.0))


def _latest(scale: str) -> dict[str, Any] | None:
    path = RESULTS_DIR / f"latest-{scale}.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def targets(result: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met?) for every target of issue 10."""
    out: list[tuple[str, str, bool | None]] = []
    rows = {row["name"]: row for row in result.get("scenarios", [])}
    for kind, target in (("read", 0.6), ("audited read", 0.5), ("write", 0.5)):
        for row in rows.values():
            if row["kind"] == kind and row.get("ratio") is not None:
                out.append(
                    (
                        f"{row['name']} ≥ {target}x the reference",
                        f"{row['ratio']:.2f}x",
                        row["ratio"] >= target,
                    )
                )
    intake = rows.get("tips_create")
    if intake:
        rps = intake["api"]["rps"]
        out.append(
            (
                f"anonymous intake ≥ {INTAKE_TARGET} tips/s",
                f"{rps:,.0f} tips/s",
                rps >= INTAKE_TARGET,
            )
        )
    for row in rows.values():
        half = row.get("half_load")
        if half:
            failed = f", {half['errors']} requests failed" if half["errors"] else ""
            out.append(
                (
                    f"{row['name']}: p99 ≤ {HALF_LOAD_P99_MS} ms at half the API's throughput",
                    f"p99 {half['p99_ms']:.1f} ms at {half['rate']:,.0f}/s{failed}",
                    half["p99_ms"] <= HALF_LOAD_P99_MS,
                )
            )
    latency = result.get("list_latency_1_connection") or {}
    for name in ("tips_list_first", "tips_list_deep"):
        here = latency.get(name, {}).get("api")
        there = latency.get(name, {}).get(SMALL_API)
        if here and there:
            factor = here["p50_ms"] / there["p50_ms"]
            out.append(
                (
                    f"{name}: latency with 1,000,000 tips ≤ {LIST_SCALE_FACTOR}x that with 10,000",
                    f"p50 {here['p50_ms']:.2f} ms vs {there['p50_ms']:.2f} ms = {factor:.2f}x"
                    " (same run, one connection)",
                    factor <= LIST_SCALE_FACTOR,
                )
            )
        elif here:
            out.append(
                (
                    f"{name}: latency with 1,000,000 tips ≤ {LIST_SCALE_FACTOR}x that with 10,000",
                    f"p50 {here['p50_ms']:.2f} ms at this scale (compared in the full run)",
                    None,
                )
            )
    verify = (result.get("verify") or {}).get("api")
    if verify:
        out.append(
            (
                f"audit verify ≥ {VERIFY_TARGET:,} entries/s",
                f"{verify['entries_per_second']:,.0f} entries/s over {verify['entries']:,}"
                f" (valid: {verify['valid']})",
                verify["entries_per_second"] >= VERIFY_TARGET and bool(verify["valid"]),
            )
        )
    export = (result.get("export") or {}).get("api")
    if export:
        out.append(
            (
                f"export: API RSS grows < {EXPORT_GROWTH_LIMIT_MIB} MB (1,000,000 entries)",
                f"+{export['rss_growth_mib']:.1f} MiB over {export['rows']:,} rows",
                export["rss_growth_mib"] < EXPORT_GROWTH_LIMIT_MIB
                if export["rows"] >= 1_000_000
                else None,
            )
        )
    peaks = [(r["api"]["rss_peak_mib"], r["name"]) for r in rows.values() if r["kind"] != "argon2"]
    if peaks:
        peak, name = max(peaks)
        out.append(
            (
                f"API RSS under load < {RSS_LIMIT_MIB} MB",
                f"peak {peak:.0f} MiB ({name})",
                peak < RSS_LIMIT_MIB,
            )
        )
    sign_in = rows.get("auth_token")
    if sign_in:
        peak = sign_in["api"]["rss_peak_mib"]
        out.append(
            (
                f"API RSS under load < {RSS_LIMIT_MIB} MB, signing in",
                f"peak {peak:.0f} MiB (Argon2: 64 MiB per hash in flight)",
                peak < RSS_LIMIT_MIB,
            )
        )
    return out


def _latency_cell(figures: dict[str, Any]) -> str:
    cell = f"{figures['p50_ms']:.2f} / {figures['p99_ms']:.2f}"
    rounds = figures.get("p50_rounds_ms")  # runs before 2026-11-27 did not keep them
    if rounds:
        cell += " (p50 by round: " + ", ".join(f"{r:.2f}" for r in rounds) + ")"
    return cell


def _machine(result: dict[str, Any]) -> list[str]:
    m = result["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    return [
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gib']} GiB; {m['os']}",
        f"- PostgreSQL {m['postgresql']} (shared_buffers {m['shared_buffers']}), {result['database']}",
        f"- Python {m['python']}; {packages}; {m['wrk']}",
        *_speed(result),
    ]


def _speed(result: dict[str, Any]) -> list[str]:
    """How fast the machine was during the run (older results have no such figures)."""
    calibration = result.get("calibration_ms")
    if not calibration:
        return []
    end = calibration.get("end")
    during = f", {end:.0f} ms at the end" if end is not None else ""
    steal = result.get("steal_cores")
    stolen = (
        f"; CPU time stolen by the hypervisor during the run: {steal:.2f} cores"
        if steal is not None
        else ""
    )
    return [
        f"- Machine speed: a fixed Python workload (bench/meter.py `calibrate`) took"
        f" {calibration['start']:.0f} ms of CPU at the start{during}{stolen}. Compare absolute"
        " figures of two runs only when these are close; ratios are measured in alternation."
    ]


def _setup(result: dict[str, Any]) -> list[str]:
    t, s, seed = result["timing"], result["scale"], result["seed"]
    counts = seed["counts"]
    seeded = (
        f"reused (seeded earlier in {seed['seconds']:.0f} s)"
        if seed["reused"]
        else f"seeded in {seed['seconds']:.0f} s"
    )
    return [
        f"- Command: `{result['command']}`; run {result['started_at']} to {result['finished_at']} (UTC)",
        f"- Data ({s['name']}): {counts.get('tips', 0):,} tips ({counts.get('tip_events', 0):,} status"
        f" changes, {counts.get('tip_messages', 0):,} messages), {counts.get('volunteers', 0):,}"
        f" volunteers, {counts.get('accounts', 0):,} accounts, {counts.get('audit_log', 0):,} audit"
        f" entries; schema revision {seed['revision']}; {seeded}",
        f"- Load: wrk, 1 thread, {t['connections']} connections; per scenario a {t['warmup']:g} s"
        f" warm-up on each server, then {t['rounds']} rounds of {t['seconds']:g} s per server,"
        " alternating which server goes first; medians of the rounds",
    ]


def busy_warning(result: dict[str, Any]) -> list[str]:
    """A warning when other work on the machine took CPU during the run."""
    foreign = [_foreign(row) for row in result.get("scenarios", [])]
    worst = max(foreign, default=0.0)
    start = result.get("busy_at_start", 0.0)
    if worst < 0.2 and start < 0.3:
        return []
    return [
        f"> **The machine was not quiet**: other processes used up to {worst:.1f} cores during"
        f' the rounds ({start:.1f} at the start; column "other load"). The API and the'
        " reference were measured in alternation under the same conditions, so ratios hold"
        " better than absolute figures.",
        "",
    ]


def run_markdown(result: dict[str, Any]) -> str:
    scale = result["scale"]["name"]
    lines = [
        f"# Duangta benchmark: {scale} scale, {result['started_at'][:10]}",
        "",
        "Numbers only: nothing here is asserted. The API (`python -m api`, ENVIRONMENT=production,"
        " one uvicorn process) and the reference (`bench/reference/`, bare Starlette + asyncpg"
        " doing the same work) run side by side on the same database.",
        "",
        *_setup(result),
        *_machine(result),
        "",
        *busy_warning(result),
        "## Requests per second, latency, memory",
        "",
        *scenario_table(result),
        "",
        "CPU ms/req: the server process's CPU time per request; DB CPU ms/req: the CPU time of"
        " PostgreSQL (the benchmark database's backends and the server's own processes) per"
        " request of the API's rounds; other load: the most CPU (in cores) that processes outside"
        " the benchmark used during a round of that scenario. Same answer: both servers got the"
        " same request once before measuring.",
        "",
    ]
    half = [row for row in result.get("scenarios", []) if row.get("half_load")]
    if half:
        lines += [
            "## Latency at half the API's throughput (open loop, API only)",
            "",
            "| scenario | rate | p50 ms | p90 ms | p99 ms | max ms | errors |",
            "|---|--:|--:|--:|--:|--:|--:|",
        ]
        for row in half:
            h = row["half_load"]
            lines.append(
                f"| {row['name']} | {h['rate']:,.0f}/s | {_ms(h['p50_ms'])} | {_ms(h['p90_ms'])}"
                f" | {_ms(h['p99_ms'])} | {_ms(h['max_ms'])} | {h['errors']} |"
            )
        lines.append("")
    latency = result.get("list_latency_1_connection") or {}
    if latency:
        labels = list(next(iter(latency.values())))
        lines += [
            "## List latency with one connection",
            "",
            "p50 / p99 ms, medians of interleaved rounds"
            + (
                f"; `{SMALL_API}`: the API on the small scale's database in the same run;"
                " both APIs started afresh for this step and warmed up alike, so only"
                " their data differ (bench/suite.py `list_latency`)"
                if SMALL_API in labels
                else ""
            )
            + ".",
            "",
            "| list | " + " | ".join(labels) + " |",
            "|---|" + "--:|" * len(labels),
        ]
        for name, servers in latency.items():
            cells = [_latency_cell(servers[k]) for k in labels]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    if result.get("verify") or result.get("export"):
        lines += [
            "## The audit chain: verify and export (one request each)",
            "",
            "| | entries | seconds | entries/s | RSS before → peak MiB | result |",
            "|---|--:|--:|--:|--:|---|",
        ]
        for name, v in (result.get("verify") or {}).items():
            lines.append(
                f"| verify, {name} | {_n(v['entries'])} | {v['seconds']:.2f} | {_n(v['entries_per_second'])}"
                f" | {v['rss_before_mib']:.0f} → {v['rss_peak_mib']:.0f} | valid: {v['valid']} |"
            )
        export = result.get("export") or {}
        for name in ("api", "reference"):
            e = export.get(name)
            if e:
                lines.append(
                    f"| export NDJSON, {name} | {_n(e['rows'])} | {e['seconds']:.2f} | {_n(e['rows_per_second'])}"
                    f" | {e['rss_before_mib']:.0f} → {e['rss_peak_mib']:.0f} (+{e['rss_growth_mib']:.1f})"
                    f" | {e['mib']:.0f} MiB, first byte after {e['first_byte_seconds']:.2f} s |"
                )
        if export.get("parity"):
            lines.append(f"\nExport parity: {export['parity']}.")
        lines.append("")
    chain = result.get("chain")
    if chain:
        intake = next((r for r in result.get("scenarios", []) if r["name"] == "tips_create"), None)
        lines += [
            "## The audit chain's ceiling (no HTTP)",
            "",
            f"{chain[0]['connections']} connections append entries as fast as they can, each in"
            " its own transaction as the service does (advisory lock, head, insert, commit), first"
            " as the service commits, then with `synchronous_commit = off`: the difference is the"
            " WAL flush every writer waits for while it holds the lock. Every write of the service"
            " (intake, audited reads, sign-ins) shares this ceiling.",
            "",
            "| synchronous_commit | entries/s | p50 ms | p99 ms |",
            "|---|--:|--:|--:|",
            *[
                f"| {r['synchronous_commit']} | {r['entries_per_second']:,.0f} | {_ms(r['p50_ms'])}"
                f" | {_ms(r['p99_ms'])} |"
                for r in chain
            ],
            "",
        ]
        if intake:
            lines += [
                f"Anonymous intake for comparison: API {intake['api']['rps']:,.0f} tips/s, reference"
                f" {intake['reference']['rps']:,.0f} tips/s (issue 10's target: {INTAKE_TARGET}).",
                "",
            ]
    argon = result.get("argon2")
    if argon:
        lines += [
            "## Sign-in cost",
            "",
            f"One Argon2id hash with the service's parameters (t={argon['time_cost']},"
            f" m={argon['memory_kib'] // 1024} MiB, p={argon['parallelism']}) takes"
            f" {argon['hash_ms']:.0f} ms; a verification {argon['verify_ms']:.0f} ms"
            + (
                f" and {argon['verify_cpu_ms']:.0f} ms of CPU, so this machine's cores verify"
                f" at most about {argon['max_per_second']:.1f} passwords a second"
                if "verify_cpu_ms" in argon
                else ""
            )
            + ". `POST /api/v1/auth/token` is bounded by it by design, for the API and the"
            " reference alike; each verification in flight also holds 64 MiB.",
            "",
        ]
    w = result.get("workers") or {}
    lines += ["## One worker process or two", ""]
    if not w.get("supported"):
        lines += [
            "Skipped: `python -m api --workers N` does not exist yet (issue 10, point 5); the"
            " suite runs this comparison as soon as it does.",
            "",
        ]
    else:
        lines += [
            "| scenario | 1 worker req/s | 2 workers req/s | 1 worker p99 ms | 2 workers p99 ms |",
            "|---|--:|--:|--:|--:|",
        ]
        for row in w["scenarios"]:
            one, two = row["1 worker"], row["2 workers"]
            lines.append(
                f"| {row['title']} | {_n(one['rps'])} | {_n(two['rps'])} | {_ms(one['p99_ms'])} | {_ms(two['p99_ms'])} |"
            )
        lines.append("")
    lines += [
        "## Targets of issue 10",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *[f"| {t} | {m} | {_met(ok)} |" for t, m, ok in targets(result)],
        "",
    ]
    notes = [row for row in result.get("scenarios", []) if row.get("notes")]
    if notes:
        lines += ["Scenario data: " + "; ".join(f"{r['name']}: {r['notes']}" for r in notes) + "."]
    return "\n".join(lines) + "\n"


INTRO = """\
# Benchmarks

`make bench` measures the API against a reference server doing the same work with no
framework, on a seeded data set, and writes what it measured here. It asserts nothing about
speed (`make test` is separate). This page is regenerated by the suite: edit
`bench/report.py`, not the tables.

## How to run

```sh
make bench                     # full scale: 1,000,000 tips, 2,000,000 audit entries (~20 min, seeding included)
BENCH_SCALE=small make bench   # about 1/100 of each (a few minutes)
BENCH_SCENARIOS=tips_get,tips_create BENCH_SCALE=small make bench   # some scenarios only
```

- **Database**: `BENCH_DATABASE_URL` if set (its name must contain `bench`: the suite drops
  and recreates it to seed); else `duangta_bench` on the machine's PostgreSQL at
  127.0.0.1:5432 (trust authentication as `postgres`) when it answers; else (or with
  `BENCH_EMBEDDED=1`) an embedded PostgreSQL of its own in `.data/bench-pg`, the wheel
  `make run` uses. The small scale uses the same name with
  `_small`. A seeded database is reused while its marker (scale, schema revision, seed
  version, key fingerprint) matches; every run first removes what earlier runs wrote.
- **Seeding** (`bench/seed.py`): COPY, two processes for tips and one for the audit chain;
  sealed fields are sealed with the service's `KeyRing` and the same associated data,
  receipts and national IDs stored as the service stores them, every account shares one
  Argon2 hash, and the audit chain is built with the service's canonical encoding. At the
  end the service's own repositories read a sample back and its verifier checks the chain.
- **The API as in production**: `python -m api` with ENVIRONMENT=production, generated
  `JWT_SECRET`, `DATA_KEYS`, `DATA_KEY_ID`, `DATA_HASH_KEY` (kept in
  `.data/bench/secrets.json`), one uvicorn process, uvicorn's access log and the app's
  per-request log line off (`LOG_LEVEL=WARNING`), and `TIP_SUBMIT_ANONYMOUS_RATE`
  raised to `1000000/second` so that the anonymous-intake budget is not what is measured.
- **The reference** (`bench/reference/`): bare Starlette + asyncpg, the same token and
  account check, the same statements (tables, filters, order, limits, row locks) in the
  same transactions, the same encryption, hashing, idempotency record and audit append
  (same advisory lock, same chain: the API's verifier checks what both wrote), the same
  JSON bytes (checked once per scenario before measuring: "same answer";
  `python -m bench.parity` checks many requests per scenario and prints the first
  difference), including the identity vault's disclosure query on tip reads and
  follow-ups. It decrypts only what it shows (the API's repositories open whole records
  for a tip's full view), keeps up to twice its pool size of connections open (as the
  API's pool does), counts the anonymous budget in a fixed window (the API: a moving
  window, in the `limits` library), and serves only the scenarios' callers. Both use the
  standard library's `json` for what they encode themselves (the API's responses are
  serialised by pydantic's own JSON encoder). It reads the province row on every request,
  where the API answers the anonymous province read from its shared cache of public
  responses after the first one (`api/public_cache.py`, as a CDN would); it has no
  statistics, so those rows measure the API alone.
- **Load**: wrk (Debian's package, installed when missing) with `bench/lua/requests.lua`
  replaying prepared requests (tokens, random seeded ids, receipts, Thai bodies, a fresh
  `Idempotency-Key` per request); warm-up, then interleaved rounds; medians. RSS and CPU
  of the servers are sampled with psutil. Verification and export are one timed request
  each. The p99 target is checked with an open-loop client at half the API's measured rate.
  The lists' latency is measured on one connection, in a full run also against an API on
  the small scale's database (1,000,000 vs 10,000 tips, same run).
- **The audit chain's ceiling** (`bench/chain.py`): appends per second straight through
  asyncpg, each in its own transaction under the chain's advisory lock as the service does,
  with and without the WAL flush at commit: what every write of the service shares.
- **A shared machine**: every round records the CPU that processes outside the benchmark
  used ("other load"); the suite waits up to `BENCH_QUIET_WAIT` seconds (120) for a quiet
  machine before it starts, and the report says when it was not quiet.
- **Profiles**: `python -m bench.profile tips_get tips_create` (py-spy, not in the lock:
  install it apart and put it on PATH or in `PY_SPY`) records the API under scenarios and
  sums the samples by area into
  [bench/results/latest-profile.md](../bench/results/latest-profile.md).
"""


def _chain_line(result: dict[str, Any]) -> list[str]:
    chain = result.get("chain")
    if not chain:
        return []
    on, off = chain[0], chain[-1]
    return [
        f"The audit chain's ceiling, without HTTP ({on['connections']} writers, lock held to the"
        f" commit): {on['entries_per_second']:,.0f} entries/s as the service commits,"
        f" {off['entries_per_second']:,.0f} with `synchronous_commit = off`.",
        "",
    ]


def _code_note(full: dict[str, Any] | None, small: dict[str, Any] | None) -> list[str]:
    """Say so when the two tables measured different code (the schema revision tells)."""
    if not full or not small:
        return []
    older, newer = sorted((full, small), key=lambda r: str(r["started_at"]))
    revisions = {str(r.get("seed", {}).get("revision")) for r in (full, small)}
    if len(revisions) == 1:
        return []
    name = "full-scale" if older is full else "small-scale"
    return [
        f"> **Which code each table measured**: the {name} table is the older one"
        f" ({str(older['started_at'])[:16]} UTC, schema revision"
        f" {older.get('seed', {}).get('revision')}), measured before the later changes of the"
        f" request path; the other ({str(newer['started_at'])[:16]} UTC, revision"
        f" {newer.get('seed', {}).get('revision')}) measured the current code. Compare ratios"
        " within one table.",
        "",
    ]


def write_docs() -> None:
    sections = [INTRO, *_code_note(_latest("full"), _latest("small"))]
    for scale, title in (("full", "Full scale"), ("small", "Small scale (`BENCH_SCALE=small`)")):
        result = _latest(scale)
        if result is None:
            continue
        sections += [
            f"## {title}: {result['started_at'][:10]}",
            "",
            *_setup(result),
            *_machine(result),
            "",
            *busy_warning(result),
            *scenario_table(result),
            "",
            "| target of issue 10 | measured | |",
            "|---|---|---|",
            *[f"| {t} | {m} | {_met(ok)} |" for t, m, ok in targets(result)],
            "",
            *_chain_line(result),
            f"Details (open-loop latency, list latency, verify, export, chain ceiling, sign-in"
            " cost, workers):"
            f" [bench/results/latest-{scale}.md](../bench/results/latest-{scale}.md).",
            "",
        ]
    DOCS.write_text("\n".join(sections))


def rerender() -> None:
    """Write the latest reports and docs/benchmarks.md again from the stored results (after
    a change of wording here): `python -m bench.report`."""
    for scale in ("full", "small"):
        result = _latest(scale)
        if result is not None:
            (RESULTS_DIR / f"latest-{scale}.md").write_text(run_markdown(result))
    write_docs()


if __name__ == "__main__":
    rerender()
