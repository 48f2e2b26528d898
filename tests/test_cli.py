"""`flask users`, `flask staff` and `flask gates`."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.accounts import gate_for_token
from app.models import Gate, Staff, User


def test_create_admin_refuses_short_or_empty_passwords(app, db) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create-admin", "root", "--password", "short"]).exit_code != 0
    assert runner.invoke(args=["users", "create-admin", "root", "--password", "        "]).exit_code != 0
    result = runner.invoke(args=["users", "create-admin", "root", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "root"))
    assert user.is_admin and user.check_password("long-enough-pw")


def test_create_admin_prompts_for_the_password(app, db) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "boss"], input="correct horse\ncorrect horse\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User).where(User.username == "boss")).check_password("correct horse")


def test_staff_add_prints_a_one_time_password_and_rejects_duplicates(app, db) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["gates", "add", "Front", "--camera", "0"]).exit_code == 0
    args = ["staff", "add", "E042", "--first-name", "Zoë", "--last-name", "../O'Brien", "--gate", "Front"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    password = re.search(r"One-time password.*: (\S+)", result.output).group(1)
    staff = db.session.scalar(sa.select(Staff).where(Staff.staff_id == "E042"))
    assert staff.user.must_change_password and staff.user.check_password(password)
    assert [g.name for g in staff.gates] == ["Front"]
    assert staff.folder == "Zoe_O_Brien_E042"
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already taken" in again.output


def test_staff_add_refuses_an_unknown_gate(app, db) -> None:
    result = app.test_cli_runner().invoke(
        args=["staff", "add", "E1", "--first-name", "A", "--last-name", "B", "--gate", "Nowhere"]
    )
    assert result.exit_code != 0 and "No gate named 'Nowhere'" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 0


def test_gates_add_prints_a_token_that_matches_the_stored_hash(app, db) -> None:
    result = app.test_cli_runner().invoke(
        args=["gates", "add", "Lab", "--camera", "rtsp://10.0.0.5/stream", "--ip", "10.0.0.5", "--no-voice"]
    )
    assert result.exit_code == 0, result.output
    token = re.search(r"API token.*: (\S+)", result.output).group(1)
    gate = db.session.scalar(sa.select(Gate).where(Gate.name == "Lab"))
    assert gate_for_token(token) == gate and not gate.voice_enabled and gate.ip_address == "10.0.0.5"
