"""Creating the first admin: at start when the database has no account, and from the CLI."""

from __future__ import annotations

import sys

from sqlalchemy.ext.asyncio import AsyncEngine

from api.settings import Settings
from auth.passwords import Argon2PasswordHasher
from domain.accounts.use_cases import bootstrap_admin
from domain.clock import SystemClock
from domain.errors import DomainError
from persistence.db import create_session_factory
from persistence.uow import SqlUnitOfWork


async def bootstrap_first_admin(engine: AsyncEngine, settings: Settings) -> None:
    """With no accounts: create BOOTSTRAP_ADMIN_USERNAME/PASSWORD, or `admin` with a
    generated password printed once to stdout (never to the JSON log on stderr)."""
    password = settings.bootstrap_admin_password
    async with SqlUnitOfWork(
        create_session_factory(engine), clock=SystemClock(), keyring=settings.keyring()
    ) as uow:
        try:
            result = await bootstrap_admin(
                uow,
                Argon2PasswordHasher(),
                username=settings.bootstrap_admin_username,
                password=password.get_secret_value() if password else None,
            )
        except DomainError as exc:
            raise SystemExit(f"BOOTSTRAP_ADMIN_USERNAME/PASSWORD: {exc.detail}") from exc
    if result is not None and result.generated_password is not None:
        print_generated_password(result.account.username, result.generated_password)


def print_generated_password(username: str, password: str) -> None:
    sys.stdout.write(
        "\n"
        f"  Created the admin account '{username}' with the one-time password:\n\n"
        f"      {password}\n\n"
        "  It is shown only now. Sign in and change it (POST /api/v1/me/password).\n\n"
    )
    sys.stdout.flush()
