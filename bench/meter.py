"""CPU accounting around a measured run: the servers, PostgreSQL, wrk, and everyone else.

The machine is shared (other sessions may run test suites on it): every round records how
much CPU went to processes that are not part of the benchmark ("foreign" load), so that
a report measured on a busy machine says so.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from dataclasses import dataclass

import psutil  # type: ignore[import-untyped]  # no stubs in the lock; a bench only

from bench.servers import Server


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _busy() -> float:
    """CPU seconds the machine spent running processes (and stolen by the hypervisor).
    Interrupt time is left out: on loopback it is mostly our own requests' packets."""
    times = psutil.cpu_times()
    return float(times.user + times.nice + times.system + getattr(times, "steal", 0.0))


def _children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _own() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class CpuUse:
    seconds: float
    servers: dict[str, float]
    database: float
    foreign: float  # CPU seconds of processes outside the benchmark

    @property
    def foreign_share(self) -> float:
        """Foreign load as a share of one core (0.5 = half a core busy elsewhere)."""
        return self.foreign / self.seconds if self.seconds else 0.0


class CpuMeter:
    """Snapshot before, snapshot after: CPU seconds per party in between."""

    def __init__(self, servers: dict[str, Server], database: str) -> None:
        self.servers = servers
        self.database = database

    def _snapshot(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {name: {} for name in self.servers}
        out["db"] = {}
        for name, server in self.servers.items():
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(server.pid)
                for process in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        out[name][process.pid] = _cpu(process)
        marker = f" {self.database} "
        for process in psutil.process_iter(["name", "cmdline"]):
            if process.info["name"] not in ("postgres", "postmaster"):
                continue
            command = " ".join(process.info["cmdline"] or []) + " "
            # Our backends, and the server's own processes (writer, checkpointer, ...);
            # not the backends of other databases (another session's tests).
            backend = "(" in command or "[local]" in command
            if marker in command or not backend:
                with contextlib.suppress(psutil.Error):
                    out["db"][process.pid] = _cpu(process)
        return out

    def __enter__(self) -> CpuMeter:
        self._start = self._snapshot()
        self._busy = _busy()
        self._children = _children()
        self._own = _own()
        self._time = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._snapshot()
        seconds = time.monotonic() - self._time

        def delta(name: str) -> float:
            before = self._start.get(name, {})
            return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in end[name].items())

        servers = {name: delta(name) for name in self.servers}
        database = delta("db")
        ours = sum(servers.values()) + database
        ours += (_children() - self._children) + (_own() - self._own)
        foreign = max(0.0, (_busy() - self._busy) - ours)
        self.use = CpuUse(seconds, servers, database, foreign)


def settle(servers: list[Server], *, quiet: float = 0.02, limit: float = 10.0) -> None:
    """Wait until the servers stop working (requests still in flight when wrk stopped)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = 0.0
        processes = []
        for server in servers:
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(server.pid)
                processes += [root, *root.children(recursive=True)]
        with contextlib.suppress(psutil.Error):
            before = sum(_cpu(p) for p in processes)
        time.sleep(0.25)
        with contextlib.suppress(psutil.Error):
            if sum(_cpu(p) for p in processes) - before < quiet:
                return


def machine_busy(seconds: float = 3.0) -> float:
    """Share of the machine's CPUs busy over a few seconds, before anything of ours runs."""
    return float(psutil.cpu_percent(interval=seconds)) / 100 * (os.cpu_count() or 1)


def calibrate(runs: int = 3) -> float:
    """Milliseconds of this process's CPU for a fixed Python and hashing workload (the
    fastest of `runs`): the machine's speed when the run starts and ends. Ratios are
    measured in alternation and hold; this says how far the absolute figures of two runs
    can be compared (a shared machine has been seen doing the same work 2.4 times slower
    within an hour, without other processes to show for it)."""
    import hashlib
    import json

    document = {"tip": "ทดสอบ" * 40, "n": list(range(50)), "nested": {"a": [1.5, None, True]}}
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        digest = b""
        for i in range(20_000):
            encoded = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
            digest = hashlib.sha256(digest + encoded + i.to_bytes(4, "big")).digest()
        best = min(best, time.process_time() - started)
    return best * 1000


def steal_seconds() -> float:
    """CPU seconds the hypervisor has kept from this machine's CPUs since boot (0 where
    the kernel does not report it)."""
    return float(getattr(psutil.cpu_times(), "steal", 0.0))
