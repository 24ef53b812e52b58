"""`python -m api.worker` (`make worker`): the webhook delivery worker, a process of its own.

Uses DATABASE_URL (`make run` starts one beside the API on the same database unless
RUN_WORKER=0). Several may run at once, on one machine or many: they share the queue
without sending one delivery twice at the same time (persistence/webhooks/queue.py).
Stops on SIGTERM or SIGINT (a delivery in flight is rolled back and sent again later),
and when `--parent PID` is given, as soon as that process is gone (the API it runs beside).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal

from api.logging import configure_logging
from api.network import SystemResolver
from api.settings import Settings, get_settings
from api.webhooks.delivery import DeliveryWorker, WorkerConfig
from domain.clock import SystemClock
from domain.webhooks.urls import UrlGuard
from persistence.db import create_engine

logger = logging.getLogger("duangta.worker")


def build_worker(settings: Settings) -> DeliveryWorker:
    assert settings.database_url
    engine = create_engine(
        settings.database_url,
        pool_size=settings.webhook_worker_concurrency + 1,
        idle_ping_seconds=settings.database_idle_ping_seconds,
    )
    return DeliveryWorker(
        engine,
        keyring=settings.keyring(),
        clock=SystemClock(),
        guard=UrlGuard(settings.url_rules(), SystemResolver()),
        config=WorkerConfig(
            retry=settings.retry_policy(),
            breaker=settings.breaker(),
            timeout=settings.webhook_timeout_seconds,
            concurrency=settings.webhook_worker_concurrency,
            poll_seconds=settings.webhook_poll_seconds,
        ),
    )


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if os.getppid() != parent:
            logger.info("the API process is gone: stopping")
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def serve(settings: Settings, *, parent: int | None = None) -> None:
    worker = build_worker(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.create_task(_watch_parent(parent, stop)) if parent else None
    logger.info("webhook worker started", extra={"workers": settings.webhook_worker_concurrency})
    try:
        await worker.run(stop)
    finally:
        if watcher is not None:
            watcher.cancel()
        await worker.close()
        await worker.engine.dispose()
        logger.info("webhook worker stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api.worker", description=__doc__)
    parser.add_argument("--parent", type=int, default=None, help="stop when this PID is gone")
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level)
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set (make run starts the worker beside the API)")
    asyncio.run(serve(settings, parent=args.parent))


if __name__ == "__main__":
    main()
