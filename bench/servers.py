"""Start, watch and stop the two servers under test: `python -m api` and the reference."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs in the lock; a bench only

from bench.config import DATA_DIR, ROOT

MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """One server process (and its children, when it forks workers)."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str, timeout: float = 120.0) -> None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.log = DATA_DIR / f"{self.name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*self.command, "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}")
            try:
                with urllib.request.urlopen(self.base + ready_path, timeout=2) as response:  # noqa: S310 - loopback
                    if response.status < 500:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not become ready; see {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss(self) -> int:
        """Resident memory of the server and its children (workers), in bytes."""
        try:
            root = psutil.Process(self.pid)
            total: int = root.memory_info().rss
            for child in root.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            return total
        except psutil.Error:
            return 0


class RssSampler(threading.Thread):
    """Samples a server's RSS every `interval` seconds; keeps the peak."""

    def __init__(self, server: Server, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.server.rss())
            time.sleep(self.interval)

    def stop(self) -> int:
        self.running = False
        self.join()
        self.peak = max(self.peak, self.server.rss())
        return self.peak


def api_server(env: dict[str, str], *, workers: int | None = None, name: str = "api") -> Server:
    command = [sys.executable, "-m", "api"]
    if workers is not None:
        command += ["--workers", str(workers)]
    return Server(f"{name}-{workers}w" if workers else name, command, env)


def reference_server(env: dict[str, str]) -> Server:
    return Server("reference", [sys.executable, "-m", "bench.reference"], env)


def api_supports_workers() -> bool:
    """Does `python -m api` take `--workers` (issue 10, point 5)?"""
    result = subprocess.run(
        [sys.executable, "-m", "api", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    return "--workers" in result.stdout
