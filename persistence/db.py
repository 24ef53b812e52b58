"""Engine and session factory (SQLAlchemy 2 async on asyncpg).

No pre-ping on every checkout (it cost a round trip per request). Instead a connection
that has sat idle in the pool for longer than `idle_ping_seconds` is pinged when it is
checked out; a dead one is replaced before the request uses it (SQLAlchemy retries the
checkout on a DisconnectionError). A connection used within that time is handed out as
it is: if the server restarted in between, that request fails on it, SQLAlchemy
invalidates the whole pool, and the next request gets fresh connections. Connections are
also recycled after `recycle_seconds`, so none lives long enough for a firewall to drop
it silently.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

_CHECKED_IN = "duangta_checked_in_at"


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    idle_ping_seconds: float = 10.0,
    recycle_seconds: int = 1800,
    statement_timeout_ms: int = 0,
    pool_timeout_seconds: float = 30.0,
    connect_timeout_seconds: float = 10.0,
) -> AsyncEngine:
    """`statement_timeout_ms` is the server's `statement_timeout` for every connection
    (0: none); `pool_timeout_seconds` bounds the wait for a pooled connection and
    `connect_timeout_seconds` the opening of a new one: past them the request fails
    (sqlalchemy.exc.TimeoutError, TimeoutError), and the API answers 503 (api/errors.py)
    instead of letting it hang."""
    server_settings = {"application_name": "duangta", "timezone": "UTC"}
    if statement_timeout_ms:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    engine = create_async_engine(
        url,
        # Up to twice `pool_size` connections, all kept open once made. (An overflow of
        # `pool_size` would close every overflow connection as it is returned: under a
        # burst each request then paid a connect and a close; profiled at ~8% of a list.)
        pool_size=2 * pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        pool_recycle=recycle_seconds,
        pool_timeout=pool_timeout_seconds,
        # Errors must never carry bound values (password hashes, personal data) into logs.
        hide_parameters=True,
        echo=echo,
        connect_args={"server_settings": server_settings, "timeout": connect_timeout_seconds},
    )
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _remember(dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in = record.info.get(_CHECKED_IN)
        if checked_in is None or time.monotonic() - checked_in < idle_ping_seconds:
            return  # new, or used a moment ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError("the pooled connection is gone") from error
        if not alive:
            raise exc.DisconnectionError("the pooled connection is gone")

    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
