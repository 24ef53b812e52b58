"""`python -m api [--workers N]`: what `make run` and the Docker image start.

Uses DATABASE_URL when set; otherwise starts the embedded PostgreSQL with its data in
EMBEDDED_PGDATA (default `.data/pg`, kept between runs). Then applies migrations and
serves the API with uvicorn. With no account in the database, the first admin is created
(BOOTSTRAP_ADMIN_USERNAME / BOOTSTRAP_ADMIN_PASSWORD, or `admin` with a generated
password printed once to stdout).

Unless RUN_WORKER=0, the webhook delivery worker (`python -m api.worker`) is started
beside the API on the same database (the embedded one too) and stopped with it; it also
stops by itself when this process disappears (`--parent`).

With `--workers N` (default: `WEB_CONCURRENCY`, else 1) uvicorn serves from N worker
processes. This parent process does the one-time work (the embedded database, migrations,
the first admin) and hands the database URL to the workers in DATABASE_URL; each worker
builds its own app with `app_factory`. With more than one worker, the parent also gives
them a fresh PROMETHEUS_MULTIPROC_DIR (unless one is set), so `/metrics` sums them all.

SIGTERM (what process managers and `kill` send) and SIGINT (Ctrl-C) stop uvicorn
gracefully (in-flight requests finish), then the embedded PostgreSQL this process
started; the exit status is 143 after SIGTERM, 0 after SIGINT (uvicorn takes it as
a normal stop).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.bootstrap import bootstrap_first_admin
from api.logging import configure_logging
from api.settings import Settings, get_settings
from persistence.db import create_engine
from persistence.embedded import start_embedded_postgres, stop_embedded_postgres
from persistence.migrate import upgrade_to_head

logger = logging.getLogger("duangta")


def resolve_database(settings: Settings) -> Settings:
    if settings.database_url:
        return settings
    url = start_embedded_postgres(Path(settings.embedded_pgdata))
    logger.info("embedded PostgreSQL started", extra={"pgdata": settings.embedded_pgdata})
    return settings.model_copy(update={"database_url": url})


async def prepare_database(settings: Settings) -> None:
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        await upgrade_to_head(engine)
        await bootstrap_first_admin(engine, settings)
    finally:
        await engine.dispose()


def app_factory() -> FastAPI:
    """The app of one worker process, from the environment the parent prepared."""
    settings = get_settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    # What start-up built lives as long as the process: keep it out of the collector's
    # generations, so full collections (50-80 ms pauses under load, seen in the bench's
    # p99) have less to walk.
    gc.collect()
    gc.freeze()
    return app


def start_delivery_worker(settings: Settings) -> subprocess.Popen[bytes] | None:
    """The webhook worker, as a child process on the database the API uses."""
    if not settings.run_worker:
        return None
    assert settings.database_url
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    command = [sys.executable, "-m", "api.worker", "--parent", str(os.getpid())]
    logger.info("webhook delivery worker starting (RUN_WORKER=0 to serve without it)")
    return subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter and module


def stop_delivery_worker(worker: subprocess.Popen[bytes] | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _default_workers() -> int:
    raw = os.environ.get("WEB_CONCURRENCY", "1")
    try:
        return max(1, int(raw))
    except ValueError:
        raise SystemExit(f"WEB_CONCURRENCY must be a whole number, not {raw!r}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the Duangta API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: WEB_CONCURRENCY, else 1)",
    )
    args = parser.parse_args(argv)
    workers = args.workers if args.workers is not None else _default_workers()
    if workers < 1:
        parser.error("--workers must be at least 1")

    # uvicorn handles SIGTERM gracefully, then re-raises it with the handler it found:
    # Python's default one would end the process on the spot, skipping the `finally`
    # below and leaving the embedded PostgreSQL running. Ours unwinds instead.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    settings = get_settings()
    configure_logging(settings.log_level)
    embedded = None if settings.database_url else Path(settings.embedded_pgdata)
    metrics_dir: str | None = None
    delivery_worker: subprocess.Popen[bytes] | None = None
    try:
        settings = resolve_database(settings)
        asyncio.run(prepare_database(settings))
        logger.info("migrations applied, accounts bootstrapped", extra={"workers": workers})
        assert settings.database_url
        # Workers (and a single in-process server alike) build their app from the environment.
        os.environ["DATABASE_URL"] = settings.database_url
        if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            metrics_dir = tempfile.mkdtemp(prefix="duangta-metrics-")
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        get_settings.cache_clear()
        delivery_worker = start_delivery_worker(settings)
        uvicorn.run(
            "api.__main__:app_factory",
            factory=True,
            host=args.host,
            port=args.port,
            workers=workers,
            log_config=None,
            access_log=False,  # every request is logged once, as JSON, by our middleware
            # Forwarding headers are read by api/client_address.py, for TRUSTED_PROXIES only.
            proxy_headers=False,
            server_header=False,
        )
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    finally:
        stop_delivery_worker(delivery_worker)
        if embedded is not None:
            stop_embedded_postgres(embedded)
            logger.info("embedded PostgreSQL stopped")
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)


if __name__ == "__main__":
    main()
