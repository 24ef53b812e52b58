"""`python -m api` on the embedded PostgreSQL, as `make run` starts it, driven with real
processes and signals: SIGTERM stops the API and the database (one worker and two), so
does SIGINT; a server orphaned by a crash (SIGKILL) and a stale postmaster.pid are
handled at the next start; the test suite's own throwaway server stops with its run.
Conditions are polled with deadlines; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from persistence.embedded import postmaster_pid
from tests.reliability.pgserver import free_port

ROOT = Path(__file__).resolve().parents[2]
METRICS_TOKEN = "lifecycle-metrics-token-0123456789"


def _alive(pid: int) -> bool:
    import psutil  # type: ignore[import-untyped]  # no stubs in the lock

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def wait_for(condition: Callable[[], bool], deadline: float, what: str) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling interval of a condition with a deadline


class Api:
    """One `python -m api` process on the embedded PostgreSQL of `pgdata`."""

    def __init__(self, pgdata: Path, *, workers: int = 1) -> None:
        self.pgdata = pgdata
        self.port = free_port()
        self.log = pgdata.parent / f"api-{self.port}.log"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "TEST_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")
        }
        env.update(
            EMBEDDED_PGDATA=str(pgdata),
            ENVIRONMENT="development",
            LOG_LEVEL="INFO",
            BOOTSTRAP_ADMIN_USERNAME="admin",
            BOOTSTRAP_ADMIN_PASSWORD="lifecycle test password",
            METRICS_TOKEN=METRICS_TOKEN,
            MAX_CONCURRENT_REQUESTS="0",
        )
        with self.log.open("wb") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "api", "--port", str(self.port), "--workers", str(workers)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the API exited ({self.process.returncode}):\n{self.log.read_text()}")
        try:
            return httpx.get(f"{self.url}/health/ready", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def wait_ready(self) -> int:
        wait_for(self.ready, 180, "the API to be ready")
        pid = postmaster_pid(self.pgdata)
        assert pid is not None
        assert _alive(pid)
        return pid

    def signal_and_wait(self, sig: int) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=120)


@pytest.fixture(scope="module")
def pgdata() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="duangta-lifecycle-"))
    try:
        yield root / "pg"
    finally:
        pid = postmaster_pid(root / "pg")
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGTERM)  # never leave a server behind
        shutil.rmtree(root, ignore_errors=True)


def assert_stopped(pgdata: Path, postmaster: int) -> None:
    wait_for(lambda: not _alive(postmaster), 60, "the embedded PostgreSQL to stop")
    assert not (pgdata / "postmaster.pid").exists()


@pytest.mark.parametrize(
    ("sig", "workers", "status"),
    [(signal.SIGTERM, 1, 143), (signal.SIGTERM, 2, 0)],
    ids=["sigterm", "sigterm-2-workers"],
)
def test_a_signal_stops_the_api_and_the_database(
    pgdata: Path, sig: int, workers: int, status: int
) -> None:
    api = Api(pgdata, workers=workers)
    postmaster = api.wait_ready()
    if workers > 1:
        # Each request on a new connection: the kernel spreads them over both workers,
        # and the scrape (whichever worker answers) counts them all.
        for _ in range(12):
            assert httpx.get(f"{api.url}/api/v1/provinces/40", timeout=10).status_code == 200
        scraped = httpx.get(
            f"{api.url}/metrics",
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
            timeout=10,
        ).text
        line = re.search(
            r'duangta_http_requests_total\{method="GET",route="/api/v1/provinces/\{code\}",'
            r'status="200"\} (\S+)',
            scraped,
        )
        assert line is not None, scraped
        assert float(line.group(1)) == 12
    assert api.signal_and_wait(sig) == status
    assert_stopped(pgdata, postmaster)


def test_a_server_orphaned_by_a_crash_is_stopped_at_the_next_start(pgdata: Path) -> None:
    crashed = Api(pgdata)
    orphan = crashed.wait_ready()
    assert crashed.signal_and_wait(signal.SIGKILL) == -signal.SIGKILL
    assert _alive(orphan)  # the crash left the server running

    api = Api(pgdata)
    postmaster = api.wait_ready()
    assert postmaster != orphan
    assert not _alive(orphan)
    assert "left running by a crashed run" in api.log.read_text()
    # SIGINT (Ctrl-C) this time: uvicorn takes it as a normal stop (status 0).
    assert api.signal_and_wait(signal.SIGINT) == 0
    assert_stopped(pgdata, postmaster)


def test_a_stale_postmaster_pid_does_not_block_the_start(pgdata: Path) -> None:
    if not (pgdata / "PG_VERSION").exists():  # run alone: make the data directory first
        first = Api(pgdata)
        stopped = first.wait_ready()
        first.signal_and_wait(signal.SIGTERM)
        assert_stopped(pgdata, stopped)
    # The server died with its lock file, and the pid in it now belongs to someone else.
    stranger = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE,
    )
    try:
        (pgdata / "postmaster.pid").write_text(
            f"{stranger.pid}\n{pgdata}\n0\n5432\n/nonexistent\n\n  0  0\nready\n"
        )
        api = Api(pgdata)
        postmaster = api.wait_ready()
        assert postmaster != stranger.pid
        assert stranger.poll() is None  # left alone
        assert "stale postmaster.pid" in api.log.read_text()
        assert api.signal_and_wait(signal.SIGTERM) == 143
        assert_stopped(pgdata, postmaster)
    finally:
        stranger.kill()
        stranger.communicate()


def test_the_test_suites_own_server_stops_when_the_run_ends() -> None:
    # `make test` without TEST_DATABASE_URL starts a throwaway server in a temporary
    # directory (tests/conftest.py); it must not outlive the run.
    with tempfile.TemporaryDirectory(prefix="duangta-suite-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
        env["TMPDIR"] = tmp
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/provinces/test_api.py::test_lists_all_77_provinces_ordered_by_code",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        import psutil

        left = [
            p.info["pid"]
            for p in psutil.process_iter(["pid", "cmdline"])
            if any(tmp in part for part in p.info["cmdline"] or ())
        ]
        assert left == [], f"processes left running under {tmp}: {left}"
        assert not list(Path(tmp).glob("duangta-test-*"))  # its data directory went too
