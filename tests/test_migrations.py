"""The migrations build exactly the schema the models describe, on MariaDB and on SQLite."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db as _db


def test_migrated_mariadb_schema_matches_models(app) -> None:
    with app.app_context(), _db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, _db.metadata)
    assert diff == []


def test_upgrade_builds_sqlite_demo_database(tmp_path, repo_root) -> None:
    env = {
        "FACEGATE_DEMO": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "FACEGATE_INSTANCE_DIR": str(tmp_path),
    }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=repo_root,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(env["DATABASE_URL"])
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    expected = {"users", "staff", "gates", "access_rules", "schedules", "logs", "face_images", "model_versions", "jobs"}
    assert expected <= tables
