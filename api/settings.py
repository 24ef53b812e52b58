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

from api.client_address import ClientAddresses, ProxyHeader, parse_networks
from api.ratelimit import parse_rate
from auth.tokens import TokenConfig
from domain.accounts.model import LoginPolicy
from domain.webhooks.model import Breaker, RetryPolicy
from domain.webhooks.urls import UrlRules
from persistence.audit.shipping import open_sink
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
    #: Server-side `statement_timeout` of every connection (0: none).
    database_statement_timeout_ms: int = Field(default=30_000, ge=0, le=3_600_000)
    #: Longest wait for a pooled connection before the request is answered 503.
    database_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    #: Longest wait for a new connection to the server before the request is answered 503.
    database_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    #: Requests served at once by one process (0: no limit); health probes and /metrics
    #: are not counted. A request that finds every slot taken waits at most
    #: `request_queue_seconds` for one, then gets 503 with Retry-After.
    max_concurrent_requests: int = Field(default=64, ge=0, le=100_000)
    request_queue_seconds: float = Field(default=0.5, ge=0, le=60)
    #: Reverse proxies (IPs or CIDRs, comma-separated) whose Forwarded / X-Forwarded-For
    #: headers are believed; empty: the peer address is the client (api/client_address.py).
    trusted_proxies: str = ""
    #: The header those proxies write: `x-forwarded-for` or `forwarded` (RFC 7239).
    trusted_proxy_header: ProxyHeader = "x-forwarded-for"
    #: Bearer token that opens GET /metrics; unset: /metrics answers 404.
    metrics_token: SecretStr | None = None
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
    data_hash_keys: SecretStr | None = Field(
        default=None,
        description="Hash keys by id, 'hid:base64,hid:base64' (instead of DATA_HASH_KEY)",
    )
    data_hash_key_id: str | None = Field(
        default=None, description="The hash key that makes new keyed hashes"
    )

    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_kid: str = "k1"
    jwt_previous_secret: SecretStr | None = None
    jwt_previous_kid: str | None = None
    jwt_issuer: str = "duangta"
    jwt_audience: str = "duangta-api"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=90)
    #: A sign-in session ends after this long without a refresh (its refresh token expires)...
    session_idle_minutes: int = Field(default=30, ge=1, le=30 * 24 * 60)
    #: ... and this long after the sign-in in any case (OWASP ASVS 7.3.1, 7.3.2).
    session_max_hours: int = Field(default=12, ge=1, le=90 * 24)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Argon2 hashes computed at once by one process (unset: one per CPU). Each holds
    #: 64 MiB while it runs, so this bounds sign-in memory; more only queue for the CPU.
    password_hash_concurrency: int | None = Field(default=None, ge=1, le=256)

    #: Where the audit trail is copied as it is written (persistence/audit/shipping.py):
    #: file:///path, syslog://host:port, syslog+tcp://host:port or https://collector/...
    audit_sink: str | None = None
    audit_sink_interval_seconds: float = Field(default=1.0, gt=0, le=3600)
    audit_sink_batch: int = Field(default=500, ge=1, le=10_000)

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

    # API clients of partner systems (OAuth2 client credentials, domain/clients).
    client_token_minutes: int = Field(
        default=10, ge=1, le=60, description="Lifetime of an API client's access token"
    )
    client_secret_overlap_hours: int = Field(
        default=24,
        ge=0,
        le=30 * 24,
        description="How long a rotated client secret stays valid unless the admin says",
    )
    client_rate: str = Field(
        default="600/minute", description="Requests per API client (by client id) before 429"
    )
    # Partner integration: webhooks (api/webhooks/delivery.py, api/worker.py).
    webhook_allow_http: bool = Field(
        default=False, description="Allow plain-http endpoint URLs (tests, closed networks)"
    )
    webhook_allowed_hosts: str = Field(
        default="",
        description="Comma-separated host names, addresses or CIDRs endpoints may reach "
        "although they are not public (loopback, private, ...)",
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_retry_hours: float = Field(default=72.0, gt=0, le=24 * 14)
    webhook_first_retry_seconds: float = Field(default=5.0, gt=0, le=3600)
    webhook_longest_retry_minutes: float = Field(default=360.0, gt=0, le=24 * 60)
    webhook_breaker_failures: int = Field(default=10, ge=1, le=1000)
    webhook_breaker_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    webhook_worker_concurrency: int = Field(default=8, ge=1, le=64)
    webhook_poll_seconds: float = Field(default=5.0, gt=0, le=300)
    #: `make run` / `python -m api` start the delivery worker beside the API unless 0.
    run_worker: bool = True

    @field_validator("trusted_proxy_header", mode="before")
    @classmethod
    def _lower_header(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: str) -> str:
        parse_networks(value)  # fail at start, not at the first request
        return value

    @field_validator(
        "client_rate",
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

    @field_validator("audit_sink")
    @classmethod
    def _valid_sink(cls, value: str | None) -> str | None:
        if value:
            open_sink(value)  # fail at start, not when the first entry ships
        return value or None

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
            if self.data_keys is None or self.data_key_id is None or self._hash_keys() is None:
                raise ValueError(
                    "ENVIRONMENT=production needs DATA_KEYS, DATA_KEY_ID and DATA_HASH_KEY "
                    "(or DATA_HASH_KEYS)"
                )
        if self.data_hash_key is not None and self.data_hash_keys is not None:
            raise ValueError("set DATA_HASH_KEY (one key) or DATA_HASH_KEYS (by id), not both")
        if (self.data_keys is None) != (self.data_key_id is None) or (self.data_keys is None) != (
            self._hash_keys() is None
        ):
            raise ValueError("set DATA_KEYS, DATA_KEY_ID and DATA_HASH_KEY(S) together")
        if self.data_keys is not None:
            self.keyring()  # fail at start, not at the first encryption
        return self

    def _hash_keys(self) -> str | None:
        chosen = self.data_hash_keys or self.data_hash_key
        return None if chosen is None else chosen.get_secret_value()

    def keyring(self) -> KeyRing:
        """The data key ring; fixed development keys when none are configured."""
        hash_keys = self._hash_keys()
        if self.data_keys is None or self.data_key_id is None or hash_keys is None:
            return development_keyring()
        return KeyRing.parse(
            self.data_keys.get_secret_value(), self.data_key_id, hash_keys, self.data_hash_key_id
        )

    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_allow_origins.split(",") if origin.strip()]

    def client_key_secret(self) -> bytes:
        """Key of the HMAC that stands in for client addresses in rate-limit counters."""
        return hashlib.sha256(
            b"duangta-client-key\x00" + self.jwt_secret.get_secret_value().encode()
        ).digest()

    def client_addresses(self) -> ClientAddresses:
        return ClientAddresses(parse_networks(self.trusted_proxies), self.trusted_proxy_header)

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

    def client_token_ttl(self) -> timedelta:
        return timedelta(minutes=self.client_token_minutes)

    def client_secret_overlap(self) -> timedelta:
        return timedelta(hours=self.client_secret_overlap_hours)

    def url_rules(self) -> UrlRules:
        return UrlRules.parse(
            allow_http=self.webhook_allow_http, allowed=self.webhook_allowed_hosts
        )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            first=timedelta(seconds=self.webhook_first_retry_seconds),
            longest=timedelta(minutes=self.webhook_longest_retry_minutes),
            window=timedelta(hours=self.webhook_retry_hours),
        )

    def breaker(self) -> Breaker:
        return Breaker(
            failures=self.webhook_breaker_failures,
            pause=timedelta(minutes=self.webhook_breaker_minutes),
        )

    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            max_failures=self.login_max_failures,
            lockout=timedelta(minutes=self.login_lockout_minutes),
            refresh_ttl=timedelta(days=self.refresh_token_days),
            session_idle=timedelta(minutes=self.session_idle_minutes),
            session_max=timedelta(hours=self.session_max_hours),
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
