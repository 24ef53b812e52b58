"""Drive a server with wrk (Debian's package) and read back what it measured."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.config import ROOT

SCRIPT = ROOT / "bench" / "lua" / "requests.lua"


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int  # socket errors and non-2xx/3xx responses
    non_2xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get when missing and we may (root, Debian)."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("[bench] wrk is missing: apt-get install wrk", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)  # noqa: S607
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)  # noqa: S607
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("wrk is needed: install it (Debian/Ubuntu: apt-get install wrk)")


def run_wrk(
    wrk: str,
    base: str,
    requests_file: Path,
    *,
    seconds: float,
    connections: int,
    prefix: str,
    timeout: float = 10.0,
) -> WrkResult:
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout:g}s",
        "-s",
        str(SCRIPT),
        base,
        "--",
        str(requests_file),
        prefix,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next(
        (x for x in done.stdout.splitlines() if x.startswith('{"requests"')),
        None,
    )
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    data = json.loads(line)
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=socket_errors + data["status"],
        non_2xx=data["status"],
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )
