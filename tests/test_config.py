"""Configuration from the environment, checked once at start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.config import Config, ConfigError, engine_options


@pytest.fixture()
def site_env(tmp_path, monkeypatch):
    """A production-like environment: the database and key set, everything else at its default."""
    monkeypatch.setenv("FACEGATE_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "mysql+pymysql://u@h/db")
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.delenv("FACEGATE_DEMO", raising=False)
    return monkeypatch


def test_secret_key_is_generated_once_into_the_instance_folder_in_the_demo(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FACEGATE_DEMO", "true")
    monkeypatch.setenv("FACEGATE_INSTANCE_DIR", str(tmp_path))
    first, second = Config().SECRET_KEY, Config().SECRET_KEY
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_demo_defaults_are_the_zero_setup_demo(tmp_path, monkeypatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "FACEGATE_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FACEGATE_DEMO", "true")
    monkeypatch.setenv("FACEGATE_INSTANCE_DIR", str(tmp_path))
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'facegate.db'}"
    assert config.REDIS_URL == "redis://127.0.0.1:6379/0"
    assert config.TIMEZONE == "UTC"


@pytest.mark.parametrize("missing", ["DATABASE_URL", "SECRET_KEY"])
def test_outside_the_demo_the_shared_database_and_key_are_required(site_env, tmp_path, missing) -> None:
    site_env.delenv(missing)
    with pytest.raises(ConfigError, match=f"{missing} is not set.*FACEGATE_DEMO=true"):
        Config()
    assert not (tmp_path / "secret_key").exists() and not (tmp_path / "facegate.db").exists()


@pytest.mark.parametrize("entry", ["import wsgi", "import worker", "from camera_ingest.__main__ import main; main([])"])
def test_every_process_stops_at_start_without_a_database_url(repo_root, tmp_path, entry) -> None:
    env = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "k" * 32, "FACEGATE_INSTANCE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", entry], cwd=repo_root, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("facegate: configuration error: DATABASE_URL is not set")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FACEGATE_COOLDOWN_S", "soon", "FACEGATE_COOLDOWN_S must be a number"),
        ("FACEGATE_MIN_VOTES", "60", "FACEGATE_MIN_VOTES <= FACEGATE_WINDOW_FRAMES"),
        ("FACEGATE_STRANGER_VOTES", "2", "FACEGATE_MIN_VOTES <= FACEGATE_STRANGER_VOTES"),
        ("FACEGATE_DETECTOR", "dlib", "FACEGATE_DETECTOR must be one of opencv, tensorflow"),
        ("FACEGATE_EMBEDDER", "arcface", "FACEGATE_EMBEDDER must be one of"),
        ("FACEGATE_SECOND_EMBEDDER", "yes", "FACEGATE_SECOND_EMBEDDER must be one of dlib, none"),
        ("FACEGATE_TIMEZONE", "Mars/Olympus", "FACEGATE_TIMEZONE must be a time zone name"),
        ("FACEGATE_INGEST_FPS", "nan", "FACEGATE_INGEST_FPS must be at least"),
        ("FACEGATE_INGEST_DECIDED_FPS", "0", "FACEGATE_INGEST_DECIDED_FPS must be positive and at most"),
        ("FACEGATE_INGEST_IDLE_FPS", "12", "FACEGATE_INGEST_IDLE_FPS must be positive and at most"),
        ("FACEGATE_INGEST_IDLE_FPS", "nan", "FACEGATE_INGEST_IDLE_FPS must be positive and at most"),
        ("FACEGATE_LOG_RETENTION_DAYS", "-1", "FACEGATE_LOG_RETENTION_DAYS must be at least 0"),
        ("FACEGATE_DEMO", "maybe", "FACEGATE_DEMO must be true or false"),
        ("FACEGATE_LIVENESS_THRESHOLD", "1.5", "FACEGATE_LIVENESS_THRESHOLD must be 0-1"),
        ("FACEGATE_LIVENESS_THRESHOLD", "nan", "FACEGATE_LIVENESS_THRESHOLD must be 0-1"),
        ("FACEGATE_LIVENESS_FRAMES", "0", "1 <= FACEGATE_LIVENESS_FRAMES <= FACEGATE_STRANGER_VOTES"),
        ("FACEGATE_TLS_CERT", "/nonexistent/server.crt", "FACEGATE_TLS_CERT must name a PEM file"),
        ("FACEGATE_CAMERA_CA_FILE", "/nonexistent/ca.crt", "FACEGATE_CAMERA_CA_FILE must name a PEM file"),
        ("FACEGATE_WEB_THREADS", "0", "FACEGATE_WEB_THREADS must be at least 1"),
        ("FACEGATE_API_TOKEN_MAX_FAILURES", "0", "FACEGATE_API_TOKEN_MAX_FAILURES must be at least 1"),
    ],
)
def test_bad_settings_are_clear_errors_at_start(site_env, name, value, message) -> None:
    site_env.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        Config()


def test_a_production_environment_is_accepted(site_env) -> None:
    config = Config()
    assert config.DEMO is False and config.SECRET_KEY == "k" * 32


def test_pacing_defaults_never_exceed_the_sampling_rate(site_env) -> None:
    assert (Config().INGEST_DECIDED_FPS, Config().INGEST_IDLE_FPS) == (5.0, 2.0)
    site_env.setenv("FACEGATE_INGEST_FPS", "3")  # a site that samples slowly keeps starting after the upgrade
    assert (Config().INGEST_DECIDED_FPS, Config().INGEST_IDLE_FPS) == (3.0, 2.0)


def test_mysql_engines_ping_and_use_utf8mb4() -> None:
    options = engine_options("mysql+pymysql://u@h/db")
    assert options["pool_pre_ping"] and options["connect_args"]["charset"] == "utf8mb4"


def test_the_mqtt_broker_url_is_checked_once_at_start(site_env) -> None:
    monkeypatch = site_env
    assert Config().MQTT_BROKER is None
    monkeypatch.setenv("FACEGATE_MQTT_URL", "mqtts://face%40gate:s%3Acret@broker.example")
    broker = Config().MQTT_BROKER
    assert broker == {
        "host": "broker.example", "port": 8883, "tls": True, "username": "face@gate", "password": "s:cret"
    }  # fmt: skip
    for bad in ("http://broker:1883", "mqtt://", "mqtt://broker:port"):
        monkeypatch.setenv("FACEGATE_MQTT_URL", bad)
        with pytest.raises(ConfigError, match="FACEGATE_MQTT_URL"):
            Config()
    monkeypatch.setenv("FACEGATE_MQTT_URL", "mqtt://broker")
    monkeypatch.setenv("FACEGATE_MQTT_RETAIN", "sometimes")
    with pytest.raises(ConfigError, match="FACEGATE_MQTT_RETAIN must be one of state, all, none"):
        Config()


def test_https_needs_both_files_and_then_makes_cookies_secure(site_env, tmp_path) -> None:
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    cert.write_text("pem")
    key.write_text("pem")
    site_env.setenv("FACEGATE_TLS_CERT", str(cert))
    with pytest.raises(ConfigError, match="set together"):
        Config()
    site_env.setenv("FACEGATE_TLS_KEY", str(key))
    config = Config()
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
    site_env.setenv("FACEGATE_SECURE_COOKIES", "false")
    assert not Config().SESSION_COOKIE_SECURE
