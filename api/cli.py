"""`python -m api.cli`: administrative commands.

    python -m api.cli create-admin --username somchai [--display-name ...] [--password-stdin]
    python -m api.cli rebuild-statistics     # after a bulk load that skipped the triggers
    python -m api.cli generate-keys          # a production .env block of fresh secrets
    python -m api.cli rotate-data-key        # re-seal every sealed value under DATA_KEY_ID
    python -m api.cli rehash                 # re-make keyed hashes under DATA_HASH_KEY_ID

Without `--password-stdin` a one-time password is generated, printed once, and must be
changed at the first sign-in. The database commands use DATABASE_URL, or the embedded
PostgreSQL like `make run`; migrations are applied first. See docs/reliability.md
("Key rotation") for the whole procedure.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import secrets
import sys
from datetime import UTC, datetime

from api.__main__ import resolve_database
from api.bootstrap import print_generated_password
from api.settings import Settings, get_settings
from auth.passwords import Argon2PasswordHasher
from domain.accounts.model import generate_password
from domain.accounts.use_cases import create_account
from domain.clock import SystemClock
from domain.errors import DomainError
from domain.keys.model import RotationReport
from domain.keys.use_cases import BATCH_SIZE, rehash, rotate_data_key
from domain.policy import Role
from domain.statistics import use_cases as statistics
from persistence.db import create_engine, create_session_factory
from persistence.migrate import upgrade_to_head
from persistence.uow import SqlUnitOfWork


async def create_admin(
    settings: Settings, *, username: str, display_name: str, password: str | None
) -> str | None:
    """Create an admin account; return the generated password when none was given."""
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=1)
    generated = None
    if password is None:
        password = generated = generate_password()
    try:
        await upgrade_to_head(engine)
        async with SqlUnitOfWork(
            create_session_factory(engine), clock=SystemClock(), keyring=settings.keyring()
        ) as uow:
            await create_account(
                uow,
                Argon2PasswordHasher(),
                actor=None,
                username=username,
                password=password,
                display_name=display_name,
                role=Role.ADMIN,
                must_change_password=generated is not None,
            )
    finally:
        await engine.dispose()
    return generated


async def rebuild_statistics(settings: Settings) -> None:
    """Recompute the statistics' summary tables from the raw rows."""
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        await upgrade_to_head(engine)
        async with SqlUnitOfWork(create_session_factory(engine), clock=SystemClock()) as uow:
            await statistics.rebuild_statistics(uow)
    finally:
        await engine.dispose()


def generate_keys(*, data_kid: str = "d1", hash_kid: str = "h1", jwt_kid: str = "j1") -> str:
    """A complete block of production secrets for `.env` (fresh random keys each call)."""
    data_key = base64.b64encode(secrets.token_bytes(32)).decode()
    hash_key = base64.b64encode(secrets.token_bytes(32)).decode()
    return "\n".join(
        [
            f"# Duangta production secrets, generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
            "# Keep them in a secret store; losing DATA_KEYS loses every sealed value.",
            "ENVIRONMENT=production",
            "# DATABASE_URL=postgresql+asyncpg://duangta:PASSWORD@HOST:5432/duangta  (yours)",
            f"JWT_SECRET={secrets.token_urlsafe(48)}",
            f"JWT_KID={jwt_kid}",
            f"DATA_KEYS={data_kid}:{data_key}",
            f"DATA_KEY_ID={data_kid}",
            f"DATA_HASH_KEYS={hash_kid}:{hash_key}",
            f"DATA_HASH_KEY_ID={hash_kid}",
            "",
        ]
    )


async def _run_key_maintenance(settings: Settings, command: str, batch_size: int) -> RotationReport:
    assert settings.database_url
    engine = create_engine(settings.database_url, pool_size=1)
    keyring = settings.keyring()
    try:
        await upgrade_to_head(engine)
        sessions = create_session_factory(engine)

        def open_uow() -> SqlUnitOfWork:
            return SqlUnitOfWork(sessions, clock=SystemClock(), keyring=keyring)

        if command == "rotate-data-key":
            return await rotate_data_key(open_uow, batch_size=batch_size)
        return await rehash(open_uow, batch_size=batch_size)
    finally:
        await engine.dispose()


def print_report(command: str, report: RotationReport) -> int:
    verb = "re-sealed" if command == "rotate-data-key" else "re-hashed"
    print(f"{command}: current key {report.key_id!r}")
    for column in report.columns:
        line = f"  {column.column}: {column.done} {verb}"
        print(line + (f", {column.unreadable} UNREADABLE" if column.unreadable else ""))
    for name, by_key in report.waiting.items():
        counts = ", ".join(f"{kid or '(unnamed)'}: {n}" for kid, n in by_key.items()) or "none"
        print(f"  {name}: by hash key {counts} (re-hashed when presented)")
    print(f"{report.done} {verb}, {report.unreadable} unreadable; audited.")
    if report.unreadable:
        print("Some values open under no listed key: keep every old key listed.", file=sys.stderr)
        return 2
    if report.still_waiting:
        print(
            f"{report.still_waiting} receipts are still under older hash keys: their holders' "
            "next follow-up moves them. Keep those keys listed in DATA_HASH_KEYS until "
            "they no longer matter.",
            file=sys.stderr,
        )
    return 0


def write_openapi() -> None:
    """Write openapi/openapi.json from the app (`make openapi`)."""
    from api.app import create_app
    from api.openapi import OPENAPI_PATH, render

    app = create_app(Settings(database_url="postgresql+asyncpg://unused@localhost/unused"))
    OPENAPI_PATH.parent.mkdir(exist_ok=True)
    OPENAPI_PATH.write_text(render(app.openapi()), encoding="utf-8")
    print(f"wrote {OPENAPI_PATH}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.cli", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-admin", help="create an admin account")
    create.add_argument("--username", required=True)
    create.add_argument("--display-name", default="Administrator")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (else one is generated)",
    )
    commands.add_parser(
        "write-openapi", help="write openapi/openapi.json from the app (no database needed)"
    )
    commands.add_parser(
        "rebuild-statistics",
        help="recompute the statistics from the raw rows (after a bulk load without triggers)",
    )
    commands.add_parser("generate-keys", help="print a production .env block of fresh secrets")
    for name, help_text in (
        ("rotate-data-key", "re-seal every sealed value under DATA_KEY_ID (resumable)"),
        ("rehash", "re-make keyed hashes under DATA_HASH_KEY_ID (resumable)"),
    ):
        maintenance = commands.add_parser(name, help=help_text)
        maintenance.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args(argv)
    if args.command == "write-openapi":
        write_openapi()
        return 0
    if args.command == "rebuild-statistics":
        asyncio.run(rebuild_statistics(resolve_database(get_settings())))
        print("Statistics rebuilt from the raw rows.")
        return 0
    if args.command == "generate-keys":
        print(generate_keys(), end="")
        return 0
    if args.command in {"rotate-data-key", "rehash"}:
        report = asyncio.run(
            _run_key_maintenance(
                resolve_database(get_settings()), args.command, max(1, args.batch_size)
            )
        )
        return print_report(args.command, report)

    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    settings = resolve_database(get_settings())
    try:
        generated = asyncio.run(
            create_admin(
                settings,
                username=args.username,
                display_name=args.display_name,
                password=password,
            )
        )
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    if generated is not None:
        print_generated_password(args.username.strip().lower(), generated)
    else:
        print(f"Created the admin account '{args.username.strip().lower()}'.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
