"""Settings: the secret policy, broker selection, validation, the embedded switch; the broker factory."""

from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.errors import ConfigurationError
from core.settings import Env, Settings, persisted_secret

GOOD_SECRET = "f3a9c1d27b5e4e08a6d1c0b9e8f7a6b5c4d3e2f1a0b9c8d7"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the values a test passes count: no setting leaks in from the environment (the suite sets some)."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "short-but-random-7f3a",
        "changeme",
        "CHANGEME",
        "secret",
        "placeholder",
        "test",
        "   secret   " + " " * 30,
    ],
)
def test_with_secret__production_missing_short_or_placeholder__configuration_error(
    secret: str, tmp_path: Path
) -> None:
    # Given production settings with an unusable SECRET_KEY
    settings = Settings(ENV="production", SECRET_KEY=secret, DATA_DIR=tmp_path)
    # When resolving the secret / Then start-up fails, and no secret is generated behind the operator's back
    with pytest.raises(ConfigurationError) as info:
        settings.with_secret()
    assert "SECRET_KEY" in info.value.message
    assert not (tmp_path / "secret_key").exists()


def test_with_secret__production_missing_secret_from_environment__configuration_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigurationError):
        Settings().with_secret()


def test_with_secret__production_good_key__kept(tmp_path: Path) -> None:
    settings = Settings(ENV="production", SECRET_KEY=GOOD_SECRET, DATA_DIR=tmp_path)
    resolved = settings.with_secret()
    assert resolved.SECRET_KEY == GOOD_SECRET
    assert resolved.ENV is Env.production
    assert not (tmp_path / "secret_key").exists()


def test_with_secret__production_good_key_from_environment__kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ENV", "production")
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert Settings().with_secret().SECRET_KEY == GOOD_SECRET


@pytest.mark.parametrize("env", ["development", "test"])
def test_with_secret__development_without_key__generated_and_persisted(env: str, tmp_path: Path) -> None:
    # Given a development install with no SECRET_KEY
    data_dir = tmp_path / "data"
    # When the secret is resolved twice (two processes, or a restart)
    first = Settings(ENV=env, DATA_DIR=data_dir).with_secret()
    second = Settings(ENV=env, DATA_DIR=data_dir).with_secret()
    # Then a long random secret is generated once, kept private in DATA_DIR/secret_key, and reused
    path = data_dir / "secret_key"
    assert first.SECRET_KEY == second.SECRET_KEY == path.read_text().strip()
    assert len(first.SECRET_KEY) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in data_dir.iterdir()] == ["secret_key"]  # no temporary files left behind


def test_with_secret__development_placeholder_key__replaced_by_persisted(tmp_path: Path) -> None:
    resolved = Settings(ENV="development", SECRET_KEY="changeme", DATA_DIR=tmp_path).with_secret()
    assert resolved.SECRET_KEY != "changeme"
    assert resolved.SECRET_KEY == (tmp_path / "secret_key").read_text().strip()


def test_with_secret__development_good_key__kept_and_nothing_written(tmp_path: Path) -> None:
    resolved = Settings(ENV="development", SECRET_KEY=GOOD_SECRET, DATA_DIR=tmp_path).with_secret()
    assert resolved.SECRET_KEY == GOOD_SECRET
    assert not (tmp_path / "secret_key").exists()


def test_with_secret__different_data_dirs__different_secrets(tmp_path: Path) -> None:
    a = Settings(DATA_DIR=tmp_path / "a").with_secret().SECRET_KEY
    b = Settings(DATA_DIR=tmp_path / "b").with_secret().SECRET_KEY
    assert a != b


def test_persisted_secret__processes_race__all_get_the_same(tmp_path: Path) -> None:
    # Given several processes starting at once on a fresh data folder (API, worker, scheduler)
    data_dir = tmp_path / "data"
    with ProcessPoolExecutor(max_workers=6) as pool:
        secrets = list(pool.map(persisted_secret, [data_dir] * 24))
    # Then every one of them reads the one secret that was kept
    assert len(set(secrets)) == 1
    assert secrets[0] == (data_dir / "secret_key").read_text().strip()


def test_broker_url__unset__defaults_to_redis_url() -> None:
    settings = Settings(DATABASE_URL="postgres://u@db:5432/x", REDIS_URL="redis://cache:6379/3")
    assert settings.broker_url == "redis://cache:6379/3"
    assert settings.broker_is_rabbitmq is False


@pytest.mark.parametrize("url", ["amqp://guest:guest@rabbit:5672/", "amqps://u:p@rabbit:5671/vhost"])
def test_broker_url__amqp__rabbitmq_selected(url: str) -> None:
    settings = Settings(
        DATABASE_URL="postgres://u@db:5432/x", REDIS_URL="redis://cache:6379/0", BROKER_URL=url
    )
    assert settings.broker_url == url
    assert settings.broker_is_rabbitmq is True


def test_broker_url__other_redis__used_instead_of_redis_url() -> None:
    settings = Settings(REDIS_URL="redis://cache:6379/0", BROKER_URL="redis://queue:6379/1")
    assert settings.broker_url == "redis://queue:6379/1"
    assert settings.broker_is_rabbitmq is False


@pytest.mark.parametrize(
    "values",
    [
        {"DATABASE_URL": "mysql://u@db:3306/x"},
        {"DATABASE_URL": "sqlite:///tmp/x.db"},
        {"REDIS_URL": "http://cache:6379"},
        {"BROKER_URL": "kafka://k:9092"},
        {"PROXIES_COUNT": -1},
        {"PORT": 0},
        {"ENV": "staging"},
        {"DEFAULT_PLAN": "platinum"},
        {"LOG_LEVEL": "LOUD"},
    ],
)
def test_settings__invalid_value__validation_error(values: dict) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATABASE_URL", "mysql://u@db/x"), ("PROXIES_COUNT", "-1"), ("ENV", "staging"), ("PORT", "eighty")],
)
def test_settings__invalid_value_in_environment__validation_error(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_settings__environment_values__typed() -> None:
    settings = Settings(
        ENV="production", PROXIES_COUNT="2", RATE_LIMIT_SCALE="0.5", DEFAULT_PLAN="pro", LOG_LEVEL="debug"
    )
    assert settings.ENV is Env.production
    assert settings.PROXIES_COUNT == 2
    assert settings.RATE_LIMIT_SCALE == 0.5
    assert settings.DEFAULT_PLAN.value == "pro"
    assert settings.LOG_LEVEL == "DEBUG"


def test_settings__defaults__documented_values() -> None:
    settings = Settings()
    assert settings.ENV is Env.development
    assert settings.PROXIES_COUNT == 0
    assert settings.RATE_LIMIT_SCALE == 1.0
    assert settings.DEFAULT_PLAN.value == "free"


def test_data_dir__relative__made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings(DATA_DIR="rel/data").DATA_DIR == tmp_path.resolve() / "rel" / "data"
    assert Settings().DATA_DIR == tmp_path.resolve() / ".vaimanasoft"


@pytest.mark.parametrize(
    ("database_url", "redis_url", "embedded"),
    [
        ("", "", True),
        ("postgres://u@db:5432/x", "redis://cache:6379/0", False),
        ("postgres://u@db:5432/x", "", False),
        ("", "redis://cache:6379/0", False),
    ],
)
def test_embedded__only_when_neither_url_is_set(database_url: str, redis_url: str, embedded: bool) -> None:
    assert Settings(DATABASE_URL=database_url, REDIS_URL=redis_url).embedded is embedded


def test_embedded__from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().embedded is True
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    assert Settings().embedded is False


# Importing actors.broker builds the process-wide broker from get_settings() (what the worker needs),
# so these tests take the suite's services: the environment then names a real broker. Module scope: the
# import happens before `clean_env` empties the environment.
@pytest.fixture(scope="module")
def build_broker(services: tuple[str, str]):
    from actors.broker import build_broker

    return build_broker


@pytest.mark.parametrize("url", ["amqp://guest:guest@127.0.0.1:1/", "amqps://u:p@rabbit.invalid:5671/vhost"])
def test_build_broker__amqp_url__rabbitmq_broker_without_connecting(
    url: str, build_broker, tmp_path: Path
) -> None:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    # Given a BROKER_URL pointing at nothing that listens
    settings = Settings(REDIS_URL="redis://127.0.0.1:1/0", BROKER_URL=url, DATA_DIR=tmp_path)
    # When building the broker / Then it is RabbitMQ, and building did not need the server
    broker = build_broker(settings)
    assert isinstance(broker, RabbitmqBroker)
    broker.close()


def test_build_broker__redis_url__redis_broker_without_connecting(build_broker, tmp_path: Path) -> None:
    from dramatiq.brokers.redis import RedisBroker

    settings = Settings(
        DATABASE_URL="postgres://u@127.0.0.1:1/x", REDIS_URL="redis://127.0.0.1:1/0", DATA_DIR=tmp_path
    )
    broker = build_broker(settings)
    assert isinstance(broker, RedisBroker)


def test_build_broker__redis_broker_url__separate_from_redis_url(build_broker, tmp_path: Path) -> None:
    from dramatiq.brokers.redis import RedisBroker

    settings = Settings(
        REDIS_URL="redis://127.0.0.1:1/0", BROKER_URL="redis://127.0.0.1:2/5", DATA_DIR=tmp_path
    )
    broker = build_broker(settings)
    assert isinstance(broker, RedisBroker)
    kwargs = broker.client.connection_pool.connection_kwargs
    assert (kwargs["port"], kwargs["db"]) == (2, 5)


def test_build_broker__no_url__refuses(build_broker, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        build_broker(Settings(DATA_DIR=tmp_path))
