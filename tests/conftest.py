"""Shared fixtures: a uuid-named database on the real MariaDB, a dedicated Redis database, the app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db as _db
from testkit.processes import ManagedProcess, celery_worker

REPO_ROOT = Path(__file__).resolve().parent.parent
MYSQL_SERVER_URL = os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
REDIS_TEST_URL = os.environ.get("FACEGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The project's root folder (where wsgi.py and the migrations live)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """The folder of real LFW photos (people/, strangers/): FACEGATE_FACES_DIR or ../shared/faces."""
    path = Path(os.environ.get("FACEGATE_FACES_DIR", REPO_ROOT.parent / "shared" / "faces"))
    if not (path / "people").is_dir():
        pytest.fail(f"face photos not found at {path}; set FACEGATE_FACES_DIR")
    return path


@pytest.fixture(scope="session")
def liveness_dir() -> Path:
    """Live webcam frames and printed-photo attacks (live/, print/; NUAA): FACEGATE_LIVENESS_DIR or
    ../shared/liveness. Never copied into the project."""
    path = Path(os.environ.get("FACEGATE_LIVENESS_DIR", REPO_ROOT.parent / "shared" / "liveness"))
    if not (path / "live").is_dir() or not (path / "print").is_dir():
        pytest.fail(f"liveness frames not found at {path}; set FACEGATE_LIVENESS_DIR")
    return path


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, uuid-named MariaDB database for this test session, dropped at the end."""
    name = f"facegate_test_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"MariaDB is not reachable at {MYSQL_SERVER_URL} (run `make services`): {exc}")
    yield f"{MYSQL_SERVER_URL}/{name}?charset=utf8mb4"
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    server.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis database the tests own (flushed by each test that uses the `redis_client` fixture)."""
    try:
        redis.Redis.from_url(REDIS_TEST_URL).ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_TEST_URL} (run `make services`): {exc}")
    return REDIS_TEST_URL


@pytest.fixture(scope="session")
def test_env(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment variables that point facegate (and any process it starts) at the test services."""
    root = tmp_path_factory.mktemp("facegate")
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key",
        "FACEGATE_INSTANCE_DIR": str(root / "instance"),
        "FACEGATE_DATA_DIR": str(root / "dataset"),
        "FACEGATE_MEDIA_DIR": str(root / "media"),
        "FACEGATE_MODEL_DIR": str(root / "models"),
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def app(test_env: dict[str, str]) -> Iterator[Flask]:
    """The app on the test database, its schema built by the real migrations."""
    from flask_migrate import upgrade

    flask_app = create_app({"TESTING": True})
    with flask_app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))
    yield flask_app
    with flask_app.app_context():
        _db.engine.dispose()


def _empty_tables() -> None:
    _db.session.rollback()
    with _db.engine.begin() as conn:
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
        for table in _db.metadata.sorted_tables:
            conn.execute(table.delete())
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture(scope="session")
def empty_tables() -> Callable[[], None]:
    """empty_tables(): delete every row of every table (inside an app context), as after each test."""
    return _empty_tables


@pytest.fixture()
def db(app: Flask) -> Iterator:
    """The database session inside an app context; every table is emptied afterwards."""
    with app.app_context():
        yield _db
        _empty_tables()


@pytest.fixture()
def client(app: Flask, db) -> FlaskClient:
    """A test client (CSRF on, as in production)."""
    return app.test_client()


@pytest.fixture()
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the tests' Redis database, empty at the start of the test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture()
def worker(test_env, db, redis_client, tmp_path) -> Iterator[ManagedProcess]:
    """A real Celery worker process (solo pool, every queue) on the test database and Redis."""
    process = celery_worker({**os.environ, **test_env}, tmp_path / "worker.log")
    process.start()
    yield process
    process.stop(timeout=20)
