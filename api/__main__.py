"""`python -m api`: what `make run` starts.

Uses DATABASE_URL when set; otherwise starts the embedded PostgreSQL with its data in
EMBEDDED_PGDATA (default `.data/pg`, kept between runs). Then applies migrations and
serves the API with uvicorn. With no account in the database, the first admin is created
(BOOTSTRAP_ADMIN_USERNAME / BOOTSTRAP_ADMIN_PASSWORD, or `admin` with a generated
password printed once to stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

import uvicorn

from api.app import create_app
from api.bootstrap import bootstrap_first_admin
from api.logging import configure_logging
from api.settings import Settings, get_settings
from persistence.db import create_engine
from persistence.embedded import start_embedded_postgres
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the Duangta API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()

    settings = get_settings()
    configure_logging(settings.log_level)
    settings = resolve_database(settings)
    asyncio.run(prepare_database(settings))
    logger.info("migrations applied, accounts bootstrapped")
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, proxy_headers=False)


if __name__ == "__main__":
    main()
