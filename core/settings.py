"""The one settings object, read from the environment once."""

from __future__ import annotations

import os
import secrets
from enum import Enum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigurationError

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development", "test", "placeholder"}
MIN_SECRET_LENGTH = 32


class Env(str, Enum):
    development = "development"
    production = "production"
    test = "test"


class Plan(str, Enum):
    free = "free"
    starter = "starter"
    pro = "pro"
    enterprise = "enterprise"


class Settings(BaseSettings):
    """Every setting of the platform; see the README for what each one does."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=True, extra="ignore", frozen=True)

    ENV: Env = Env.development
    DATABASE_URL: str = ""
    REDIS_URL: str = ""
    BROKER_URL: str = ""
    SECRET_KEY: str = ""
    ADMIN_TOKEN: str = ""
    DATA_DIR: Path = Path("./.vaimanasoft")
    HOST: str = "127.0.0.1"
    PORT: int = Field(8000, ge=1, le=65535)
    API_WORKERS: int = Field(1, ge=1, le=64)
    PROXIES_COUNT: int = Field(0, ge=0, le=10)
    RATE_LIMIT_SCALE: float = Field(1.0, ge=0)
    DEFAULT_PLAN: Plan = Plan.free
    LOG_LEVEL: str = "INFO"
    JWT_TTL_SECONDS: int = Field(86400, ge=60)
    DB_POOL_MAX: int = Field(20, ge=1, le=500)
    # Dramatiq: how long a silent Redis-broker worker is considered alive (its
    # unacknowledged messages are redelivered after this), and the share of
    # broker commands that run queue maintenance (out of 1,000,000).
    BROKER_HEARTBEAT_TIMEOUT_MS: int = Field(60000, ge=1000)
    BROKER_MAINTENANCE_CHANCE: int = Field(1000, ge=1, le=1_000_000)
    WORKER_PROCESSES: int = Field(1, ge=1, le=64)
    WORKER_THREADS: int = Field(16, ge=1, le=256)
    WORKER_METRICS_PORT: int = Field(0, ge=0, le=65535)
    JOB_TTL_SECONDS: int = Field(7 * 86400, ge=86400)
    SCHEDULER_HEARTBEAT_CRON: str = "* * * * *"
    SEGMENTS_RECLASSIFY_CRON: str = "30 3 * * *"  # nightly, UTC
    CUSTOM_SEGMENTS_CRON: str = "0 4 * * *"  # nightly recalculation of active custom segments, UTC
    ALERTS_CRON: str = "*/15 * * * *"  # evaluation of active alert rules, UTC
    STREAM_HEARTBEAT_SECONDS: float = Field(15.0, gt=0, le=60)
    SCHEDULER_LOCK_TTL_MS: int = Field(10_000, ge=1000)
    CORS_ORIGINS: str = ""  # comma-separated origins allowed to call the API from a browser
    PUBLIC_URL: str = ""  # the platform's external URL, for links in emails and Stripe return pages

    # Outside services, used by features that arrive with later issues. Each base URL
    # can point at a local stand-in (the tests do); empty means the service's own.
    ANTHROPIC_API_KEY: str = ""
    ANTHROPIC_BASE_URL: str = ""
    AI_MODEL: str = "claude-sonnet-5-5"
    AI_FAST_MODEL: str = "claude-haiku-5-5"
    AI_TIMEOUT_SECONDS: float = Field(60.0, gt=0, le=600)  # per call to the AI provider
    AI_MAX_RETRIES: int = Field(2, ge=0, le=10)  # the SDK's retries of 429/5xx/connection errors
    AI_MAX_TOKENS: int = Field(1024, ge=64, le=8192)  # longest answer the model may write per call
    AI_CHAT_HISTORY_TOKENS: int = Field(6000, ge=500, le=100_000)  # history sent with each chat turn
    AI_SENTIMENT_BATCH: int = Field(25, ge=1, le=100)  # reviews per fast-model call
    AI_INSIGHTS_CRON: str = "15 5 * * *"  # daily insights of every app, UTC
    NLQ_STATEMENT_TIMEOUT_MS: int = Field(5000, ge=100, le=60_000)  # per natural-language query
    # The sqlglot check of model-written SQL. Off only to test that the database role alone holds;
    # production refuses to start with it off.
    NLQ_SQL_CHECK: bool = True
    STRIPE_SECRET_KEY: str = ""
    STRIPE_WEBHOOK_SECRET: str = ""
    STRIPE_API_BASE: str = ""
    STRIPE_PRICE_STARTER: str = ""
    STRIPE_PRICE_PRO: str = ""
    STRIPE_PRICE_ENTERPRISE: str = ""
    FCM_API_BASE: str = ""
    SMTP_HOST: str = ""
    SMTP_PORT: int = Field(587, ge=1, le=65535)
    SMTP_USER: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_FROM: str = "vaimanasoft@localhost"
    SMTP_STARTTLS: bool = True
    TELEGRAM_BOT_TOKEN: str = ""
    TELEGRAM_API_BASE: str = "https://api.telegram.org"
    PLAYSTORE_BASE_URL: str = ""
    WEBHOOK_ALLOW_PRIVATE_TARGETS: bool = False
    WEBHOOK_TIMEOUT_SECONDS: float = Field(15.0, gt=0, le=60)
    WEBHOOK_RETRY_SCHEDULE: str = "5,300,1800,7200,18000,36000"  # seconds between delivery attempts
    WEBHOOK_DELIVERY_RETENTION_DAYS: int = Field(7, ge=1, le=3650)  # delivery attempts kept this long
    WEBHOOK_PRUNE_CRON: str = "45 4 * * *"  # when older delivery attempts are deleted, UTC
    NOTIFICATIONS_CRON: str = "* * * * *"  # when scheduled pushes that are due are sent, UTC
    FCM_TIMEOUT_SECONDS: float = Field(30.0, gt=0, le=120)  # per FCM request (firebase-admin httpTimeout)
    DEPLOY_COMMAND: str = ""  # run by POST /devops/deploy: split like shell words, `{target}` substituted
    DEPLOY_TIMEOUT_SECONDS: float = Field(900.0, gt=0, le=3600)
    CODEAGENT_TIMEOUT_SECONDS: float = Field(300.0, gt=0, le=1800)  # per ruff / bandit run
    SECURITY_HEADERS: bool = (
        True  # X-Content-Type-Options, CSP, ... on every response (off behind a proxy that sets them)
    )

    EMBEDDED_PG_PORT: int = Field(0, ge=0, le=65535)
    EMBEDDED_REDIS_PORT: int = Field(0, ge=0, le=65535)

    @field_validator("DATA_DIR")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("LOG_LEVEL")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        return value

    @model_validator(mode="after")
    def _urls(self) -> Settings:
        for name in ("DATABASE_URL",):
            url = getattr(self, name)
            if url and not url.startswith(("postgres://", "postgresql://")):
                raise ValueError(f"{name} must be a postgres:// URL")
        for name in ("REDIS_URL",):
            url = getattr(self, name)
            if url and not url.startswith(("redis://", "rediss://", "unix://")):
                raise ValueError(f"{name} must be a redis:// URL")
        if self.ENV is Env.production and not self.NLQ_SQL_CHECK:
            raise ValueError("NLQ_SQL_CHECK cannot be turned off in production")
        if self.BROKER_URL and not self.BROKER_URL.startswith(
            ("redis://", "rediss://", "amqp://", "amqps://")
        ):
            raise ValueError("BROKER_URL must be a redis:// or amqp:// URL")
        return self

    @field_validator("WEBHOOK_RETRY_SCHEDULE")
    @classmethod
    def _retry_schedule(cls, value: str) -> str:
        try:
            delays = [float(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise ValueError(
                "WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds, e.g. 5,300,1800"
            ) from None
        if len(delays) > 20 or any(not 0 <= d <= 7 * 86400 for d in delays):
            raise ValueError("WEBHOOK_RETRY_SCHEDULE: at most 20 delays, each 0..604800 seconds")
        return value

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        """Seconds to wait before each retry of a failed webhook delivery (WEBHOOK_RETRY_SCHEDULE)."""
        return tuple(float(part) for part in self.WEBHOOK_RETRY_SCHEDULE.split(",") if part.strip())

    @property
    def broker_url(self) -> str:
        """The broker URL: BROKER_URL, else the Redis URL."""
        return self.BROKER_URL or self.REDIS_URL

    @property
    def broker_is_rabbitmq(self) -> bool:
        return self.broker_url.startswith(("amqp://", "amqps://"))

    @property
    def embedded(self) -> bool:
        """True when the embedded PostgreSQL and Redis are to be used."""
        return not self.DATABASE_URL and not self.REDIS_URL

    def with_secret(self) -> Settings:
        """Return settings with a usable SECRET_KEY, or fail in production."""
        if not _is_placeholder(self.SECRET_KEY):
            return self
        if self.ENV is Env.production:
            raise ConfigurationError(
                f"SECRET_KEY is missing or a placeholder; set a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        return self.model_copy(update={"SECRET_KEY": persisted_secret(self.DATA_DIR)})


def _is_placeholder(secret: str) -> bool:
    return secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH


def persisted_secret(data_dir: Path) -> str:
    """A random secret generated once and kept in the data folder."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".secret_key.{os.getpid()}"
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            # A hard link fails if the file exists: when processes race, the first one wins.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, secret resolved."""
    return Settings().with_secret()
