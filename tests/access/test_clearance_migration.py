"""The access-rules migration on the real MariaDB keeps every clearance: each person's staff_gates rows become their
rule with the "always" schedule, and the downgrade gives them back."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db as _db

BEFORE = "7c3d2e9a4b10"
ACCESS_RULES = "a7c3e2f91b04"


@pytest.fixture()
def scratch_app(test_env, repo_root):
    """An app on a fresh MariaDB database of its own (dropped afterwards)."""
    from tests.conftest import MYSQL_SERVER_URL

    name = f"facegate_mig_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(MYSQL_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = f"{MYSQL_SERVER_URL}/{name}?charset=utf8mb4"
    flask_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    yield flask_app, str(repo_root / "migrations")
    with flask_app.app_context():
        _db.engine.dispose()
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    server.dispose()


def _seed_clearances(conn) -> None:
    conn.execute(sa.text(
        "INSERT INTO users (id, username, password_hash, role, active, must_change_password, created_at) VALUES "
        "(1, 'S1', 'x', 'staff', 1, 0, NOW()), (2, 'S2', 'x', 'staff', 1, 0, NOW()), "
        "(3, 'S3', 'x', 'staff', 1, 0, NOW())"
    ))
    conn.execute(sa.text(
        "INSERT INTO staff (id, user_id, staff_id, first_name, last_name, folder, created_at) VALUES "
        "(1, 1, 'S1', 'A', 'One', 'A_One_S1', NOW()), (2, 2, 'S2', 'B', 'Two', 'B_Two_S2', NOW()), "
        "(3, 3, 'S3', 'C', 'Three', 'C_Three_S3', NOW())"
    ))
    conn.execute(sa.text(
        "INSERT INTO gates (id, name, voice_enabled, camera_source, token_hash, active, created_at) VALUES "
        "(1, 'Front', 1, '0', 'h1', 1, NOW()), (2, 'Back', 1, '1', 'h2', 1, NOW())"
    ))
    conn.execute(sa.text("INSERT INTO staff_gates (staff_id, gate_id) VALUES (1, 1), (1, 2), (2, 2)"))


def test_every_clearance_becomes_an_always_rule_and_comes_back_on_downgrade(scratch_app) -> None:
    flask_app, directory = scratch_app
    with flask_app.app_context():
        upgrade(directory=directory, revision=BEFORE)
        with _db.engine.begin() as conn:
            _seed_clearances(conn)
        upgrade(directory=directory, revision=ACCESS_RULES)
        with _db.engine.connect() as conn:
            rules = conn.execute(sa.text(
                "SELECT s.staff_id, r.name, sc.name, sc.always, r.is_clearance, g.name FROM access_rules r "
                "JOIN staff s ON s.id = r.staff_id JOIN schedules sc ON sc.id = r.schedule_id "
                "JOIN access_rule_gates rg ON rg.rule_id = r.id JOIN gates g ON g.id = rg.gate_id "
                "ORDER BY s.staff_id, g.name"
            )).all()
            kinds = conn.execute(sa.text("SELECT DISTINCT kind FROM staff")).scalars().all()
        assert [tuple(row) for row in rules] == [
            ("S1", "Clearance of S1", "Always", 1, 1, "Back"),
            ("S1", "Clearance of S1", "Always", 1, 1, "Front"),
            ("S2", "Clearance of S2", "Always", 1, 1, "Back"),
        ]
        assert kinds == ["staff"]
        downgrade(directory=directory, revision=BEFORE)
        with _db.engine.connect() as conn:
            back = conn.execute(sa.text("SELECT staff_id, gate_id FROM staff_gates ORDER BY 1, 2")).all()
        assert [tuple(row) for row in back] == [(1, 1), (1, 2), (2, 2)]
