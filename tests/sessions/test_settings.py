"""Production refuses to start with a default or short signing secret; login settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import DEV_JWT_SECRET, Environment, Settings

DB = "postgresql+asyncpg://duangta@db/duangta"
STRONG = "s" * 32


@pytest.mark.parametrize(
    "secrets",
    [
        {},  # the development default
        {"jwt_secret": DEV_JWT_SECRET},
        {"jwt_secret": "s" * 31},
        {"jwt_secret": STRONG, "jwt_previous_secret": "short", "jwt_previous_kid": "k0"},
        {"jwt_secret": "ก" * 10},  # 30 bytes in UTF-8, although 10 characters
    ],
    ids=["default", "dev-secret", "31-bytes", "short-previous", "counted-in-bytes"],
)
def test_production_refuses_weak_secrets(secrets: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(_env_file=None, environment=Environment.PRODUCTION, database_url=DB, **secrets)  # type: ignore[arg-type]


def test_production_refuses_a_strong_secret_from_the_environment_too_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", DB)
    monkeypatch.setenv("JWT_SECRET", "too-short")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_development_accepts_the_default_and_login_policy_comes_from_settings() -> None:
    settings = Settings(_env_file=None, login_max_failures=3, login_lockout_minutes=5)
    rules = settings.login_policy()
    assert (rules.max_failures, rules.lockout.total_seconds()) == (3, 300)
    assert rules.refresh_ttl.days == 14
