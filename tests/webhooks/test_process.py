"""The worker beside the API: `python -m api` starts it unless RUN_WORKER=0, and it stops
by itself when the process it runs beside is gone."""

from __future__ import annotations

import asyncio
import os
import sys

import psutil  # type: ignore[import-untyped]  # no stubs in the lock

from api.__main__ import start_delivery_worker, stop_delivery_worker
from api.settings import Settings
from tests.webhooks.receiver import eventually

#: A parent that starts the worker beside itself, prints its pid and exits at once.
_PARENT = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-m", "api.worker", "--parent", str(os.getpid())])
print(child.pid, flush=True)
"""


async def test_the_worker_stops_when_the_api_process_is_gone(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _PARENT, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await parent.communicate()
    assert parent.returncode == 0
    worker = psutil.Process(int(out.strip()))

    def gone() -> bool:
        return not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE

    await eventually(gone, within=30, what="the orphaned worker stops")


async def test_run_worker_0_serves_without_it_and_1_starts_and_stops_it(
    settings: Settings,
) -> None:
    assert start_delivery_worker(settings.model_copy(update={"run_worker": False})) is None
    worker = start_delivery_worker(settings)
    assert worker is not None
    stop_delivery_worker(worker)
    assert worker.returncode is not None  # stopped (0 when it had installed its handlers)
