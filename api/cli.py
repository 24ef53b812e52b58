"""`python -m api.cli`: administrative commands.

    python -m api.cli create-admin --username somchai [--display-name ...] [--password-stdin]
    python -m api.cli rebuild-statistics   # after a bulk load that skipped the triggers

Without `--password-stdin` a one-time password is generated, printed once, and must be
changed at the first sign-in. Uses DATABASE_URL, or the embedded PostgreSQL like
`make run`; migrations are applied first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from api.__main__ import resolve_database
from api.bootstrap import print_generated_password
from api.settings import Settings, get_settings
from auth.passwords import Argon2PasswordHasher
from domain.accounts.model import generate_password
from domain.accounts.use_cases import create_account
from domain.clock import SystemClock
from domain.errors import DomainError
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
    args = parser.parse_args(argv)
    if args.command == "write-openapi":
        write_openapi()
        return 0
    if args.command == "rebuild-statistics":
        asyncio.run(rebuild_statistics(resolve_database(get_settings())))
        print("Statistics rebuilt from the raw rows.")
        return 0

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
