"""Configuration from the environment."""

from __future__ import annotations

import pytest

from app.config import Config, engine_options


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FACEGATE_INSTANCE_DIR", str(tmp_path))
    first, second = Config().SECRET_KEY, Config().SECRET_KEY
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_the_zero_setup_demo(tmp_path, monkeypatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "FACEGATE_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FACEGATE_INSTANCE_DIR", str(tmp_path))
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'facegate.db'}"
    assert config.REDIS_URL == "redis://127.0.0.1:6379/0"
    assert config.TIMEZONE == "UTC"


def test_mysql_engines_ping_and_use_utf8mb4() -> None:
    options = engine_options("mysql+pymysql://u@h/db")
    assert options["pool_pre_ping"] and options["connect_args"]["charset"] == "utf8mb4"


def test_bad_numbers_are_clear_errors(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FACEGATE_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("FACEGATE_COOLDOWN_S", "soon")
    with pytest.raises(ValueError, match="FACEGATE_COOLDOWN_S must be a number"):
        Config()
