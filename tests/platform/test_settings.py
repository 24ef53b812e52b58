from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from api.settings import DEV_JWT_SECRET, Environment, Settings

STRONG = "s" * 40
DATA = {
    "data_keys": "k1:" + base64.b64encode(os.urandom(32)).decode(),
    "data_key_id": "k1",
    "data_hash_key": base64.b64encode(os.urandom(32)).decode(),
}


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", [DEV_JWT_SECRET, "too-short-secret"])
def test_production_refuses_default_or_short_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        make(
            environment=Environment.PRODUCTION,
            jwt_secret=secret,
            database_url="postgresql+asyncpg://x@h/d",
            **DATA,
        )


def test_production_needs_data_keys_and_database() -> None:
    with pytest.raises(ValidationError, match="DATA_KEYS"):
        make(
            environment=Environment.PRODUCTION,
            jwt_secret=STRONG,
            database_url="postgresql+asyncpg://x@h/d",
        )
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        make(environment=Environment.PRODUCTION, jwt_secret=STRONG, **DATA)


def test_production_accepts_strong_configuration() -> None:
    settings = make(
        environment=Environment.PRODUCTION,
        jwt_secret=STRONG,
        database_url="postgresql+asyncpg://x@h/d",
        **DATA,
    )
    assert settings.keyring().current_kid == "k1"


def test_development_defaults_work() -> None:
    assert make().keyring().current_kid == "dev1"
