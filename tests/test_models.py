"""The data model on the real MariaDB: timestamps, hashes, relations, cascades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from app.accounts import create_gate, create_staff, gate_for_token
from app.models import FaceImage, Gate, Log, Staff, User


def test_log_timestamps_keep_microseconds_and_come_back_as_utc(db) -> None:
    gate, _ = create_gate("Front", "0")
    staff, _ = create_staff("s001", "Ada", "Lovelace", gate_names=["Front"])
    moment = datetime(2026, 3, 1, 8, 59, 59, 123456, tzinfo=UTC)
    db.session.add(Log(staff=staff, gate=gate, timestamp=moment, status="in"))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Log))
    assert stored.timestamp == moment
    assert stored.timestamp.tzinfo is UTC


def test_naive_timestamps_are_refused(db) -> None:
    gate, _ = create_gate("Front", "0")
    staff, _ = create_staff("s001", "Ada", "Lovelace")
    db.session.add(Log(staff=staff, gate=gate, timestamp=datetime(2026, 3, 1, 9, 0), status="in"))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.commit()


def test_passwords_and_tokens_are_stored_only_as_hashes(db) -> None:
    gate, token = create_gate("Back", "rtsp://cam/1")
    staff, password = create_staff("s002", "Alan", "Turing")
    assert password not in staff.user.password_hash
    assert staff.user.password_hash.startswith("scrypt:")
    assert staff.user.check_password(password) and not staff.user.check_password(password + "x")
    assert token not in gate.token_hash
    assert gate_for_token(token) == gate and gate_for_token("wrong") is None


def test_clearance_follows_the_gates_a_person_is_given(db) -> None:
    front, _ = create_gate("Front", "0")
    back, _ = create_gate("Back", "1")
    staff, _ = create_staff("s003", "Grace", "Hopper", gate_names=["Front"])
    assert staff.is_cleared_for(front)
    assert not staff.is_cleared_for(back)


def test_deleting_a_person_deletes_their_account_photos_and_logs(db) -> None:
    gate, _ = create_gate("Front", "0")
    staff, _ = create_staff("s004", "Katherine", "Johnson", gate_names=["Front"])
    image = FaceImage(staff_id=staff.id, raw_path="raw/x/1.jpg")
    image.set_embedding(np.arange(512, dtype=np.float32), "test")
    db.session.add_all([image, Log(staff=staff, gate=gate, status="in")])
    db.session.commit()
    db.session.delete(staff.user)
    db.session.commit()
    for model in (User, Staff, FaceImage, Log):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
    assert db.session.get(Gate, gate.id) is not None


def test_embeddings_round_trip_as_float32(db) -> None:
    staff, _ = create_staff("s005", "Mary", "Jackson")
    vector = np.random.default_rng(0).standard_normal(512).astype(np.float32)
    image = FaceImage(staff_id=staff.id, raw_path="raw/y/1.jpg")
    image.set_embedding(vector, "facenet-20180408")
    db.session.add(image)
    db.session.commit()
    db.session.expire_all()
    np.testing.assert_array_equal(db.session.get(FaceImage, image.id).embedding_vector(), vector)


def test_gate_is_online_only_after_a_recent_heartbeat(db) -> None:
    gate, _ = create_gate("Front", "0")
    assert not gate.is_online()
    gate.last_heartbeat_at = datetime.now(UTC) - timedelta(seconds=5)
    assert gate.is_online()
    gate.last_heartbeat_at = datetime.now(UTC) - timedelta(minutes=5)
    assert not gate.is_online()
