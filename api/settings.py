"""Configuration from environment variables (and an optional `.env`), built on demand.

Nothing reads settings at import time: `get_settings()` builds them once per process, and
tests build `Settings(...)` of their own and hand them to `create_app`.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.ratelimit import parse_rate
from auth.tokens import TokenConfig
from domain.accounts.model import LoginPolicy
from persistence.crypto import KeyRing, development_keyring

#: The development signing secret. Refused when ENVIRONMENT=production.
DEV_JWT_SECRET = "duangta-development-secret-do-not-use-in-production"  # noqa: S105
_MIN_SECRET_BYTES = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: Environment = Environment.DEVELOPMENT
    database_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg://... ; unset: an embedded PostgreSQL is started",
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    #: A pooled connection idle longer than this is pinged before use (persistence/db.py).
    database_idle_ping_seconds: float = Field(default=10.0, ge=0, le=3600)
    embedded_pgdata: str = ".data/pg"
    redis_url: str | None = None

    log_level: str = "INFO"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    #: Browser origins allowed to call the API (CORS), comma-separated; none by default.
    cors_allow_origins: str = ""
    #: `Strict-Transport-Security: max-age=N; includeSubDomains` on every response when
    #: above 0 (set it when the service is reached over HTTPS only); 0: not sent.
    hsts_max_age: int = Field(default=0, ge=0, le=63_072_000)

    data_keys: SecretStr | None = Field(
        default=None,
        description="AES-256 data keys for fields encrypted at rest: 'kid:base64,kid:base64'",
    )
    data_key_id: str | None = Field(default=None, description="The data key that seals")
    data_hash_key: SecretStr | None = Field(
        default=None, description="base64 key (>= 32 bytes) of keyed hashes (HMAC-SHA-256)"
    )

    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_kid: str = "k1"
    jwt_previous_secret: SecretStr | None = None
    jwt_previous_kid: str | None = None
    jwt_issuer: str = "duangta"
    jwt_audience: str = "duangta-api"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=90)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)

    bootstrap_admin_username: str | None = None
    bootstrap_admin_password: SecretStr | None = None

    tip_ack_days: int = Field(
        default=7, ge=1, le=90, description="Days to acknowledge a tip after receipt"
    )
    tip_feedback_months: int = Field(
        default=3, ge=1, le=12, description="Months to give feedback after acknowledgement"
    )
    tip_submit_anonymous_rate: str = Field(
        default="30/hour", description="Anonymous tip submissions per client"
    )
    tip_follow_up_failure_rate: str = Field(
        default="10/15minutes", description="Wrong receipts per client before 429"
    )
    tip_reporter_message_rate: str = Field(
        default="20/hour", description="Messages a reporter (receipt or volunteer) posts per client"
    )

    # Volunteer registry. Applications often come from one office or training-day network,
    # so the per-client budget is generous; activation counts failed attempts only.
    volunteer_application_rate: str = Field(
        default="30/hour", description="Public volunteer applications per client"
    )
    volunteer_activation_failure_rate: str = Field(
        default="10/15minutes", description="Failed activation attempts per client"
    )
    volunteer_activation_days: int = Field(
        default=14, ge=1, le=90, description="Lifetime of a volunteer's activation code"
    )

    @field_validator(
        "volunteer_application_rate",
        "volunteer_activation_failure_rate",
        "tip_submit_anonymous_rate",
        "tip_follow_up_failure_rate",
        "tip_reporter_message_rate",
    )
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        parse_rate(value)  # fail at start, not at the first request
        return value

    @model_validator(mode="after")
    def _refuse_weak_production_secret(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            secrets = [self.jwt_secret]
            if self.jwt_previous_secret is not None:
                secrets.append(self.jwt_previous_secret)
            for secret in secrets:
                value = secret.get_secret_value()
                if value == DEV_JWT_SECRET or len(value.encode()) < _MIN_SECRET_BYTES:
                    raise ValueError(
                        "ENVIRONMENT=production needs JWT_SECRET (and JWT_PREVIOUS_SECRET, "
                        f"if set) of at least {_MIN_SECRET_BYTES} bytes, not the default"
                    )
            if not self.database_url:
                raise ValueError("ENVIRONMENT=production needs DATABASE_URL")
            if self.data_keys is None or self.data_key_id is None or self.data_hash_key is None:
                raise ValueError(
                    "ENVIRONMENT=production needs DATA_KEYS, DATA_KEY_ID and DATA_HASH_KEY"
                )
        if (self.data_keys is None) != (self.data_key_id is None) or (self.data_keys is None) != (
            self.data_hash_key is None
        ):
            raise ValueError("set DATA_KEYS, DATA_KEY_ID and DATA_HASH_KEY together")
        if self.data_keys is not None:
            self.keyring()  # fail at start, not at the first encryption
        return self

    def keyring(self) -> KeyRing:
        """The data key ring; fixed development keys when none are configured."""
        if self.data_keys is None or self.data_key_id is None or self.data_hash_key is None:
            return development_keyring()
        return KeyRing.parse(
            self.data_keys.get_secret_value(),
            self.data_key_id,
            self.data_hash_key.get_secret_value(),
        )

    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_allow_origins.split(",") if origin.strip()]

    def client_key_secret(self) -> bytes:
        """Key of the HMAC that stands in for client addresses in rate-limit counters."""
        return hashlib.sha256(
            b"duangta-client-key\x00" + self.jwt_secret.get_secret_value().encode()
        ).digest()

    def token_config(self) -> TokenConfig:
        keys = {self.jwt_kid: self.jwt_secret.get_secret_value()}
        if self.jwt_previous_secret is not None and self.jwt_previous_kid:
            keys[self.jwt_previous_kid] = self.jwt_previous_secret.get_secret_value()
        return TokenConfig(
            keys=keys,
            current_kid=self.jwt_kid,
            issuer=self.jwt_issuer,
            audience=self.jwt_audience,
            access_ttl=timedelta(minutes=self.access_token_minutes),
        )

    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            max_failures=self.login_max_failures,
            lockout=timedelta(minutes=self.login_lockout_minutes),
            refresh_ttl=timedelta(days=self.refresh_token_days),
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
