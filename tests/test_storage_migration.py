"""A site made with the schema before the shared stores: `flask db upgrade`, then `flask storage move-to-db` (a dry
run that only counts, then the move) brings its photos, model versions and avatars from the disk into the database
and deletes the crops; the site then works from the database alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.enrolment.model_store import load_classifier, newest_version
from app.extensions import db as _db
from app.models import AvatarBlob, FaceImage, ModelVersion, PhotoBlob
from app.recognition.classify import classifier_to_arrays
from app.recognition.cohort import SHIPPED_COHORT, load_cohort
from app.recognition.store import encode_model
from app.recognition.training import train_from_vectors

SHARED_STORES = "c0961d368119"
NOW = "2026-11-01 08:00:00"


@pytest.fixture()
def legacy_site(
    repo_root: Path, tmp_path: Path, monkeypatch, test_env: dict, database_url: str
) -> Iterator[tuple[Flask, Path]]:
    """An app on a fresh MariaDB database migrated to the revision before the shared stores, with its folders."""
    server_url = database_url.rsplit("/", 1)[0]
    name = f"facegate_legacy_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    for setting, folder in (("DATA_DIR", "dataset"), ("MODEL_DIR", "models"), ("MEDIA_DIR", "media")):
        monkeypatch.setenv(f"FACEGATE_{setting}", str(tmp_path / folder))
    monkeypatch.setenv("DATABASE_URL", f"{server_url}/{name}?charset=utf8mb4")
    flask_app = create_app({"TESTING": True})
    migrations = str(repo_root / "migrations")
    scripts = AlembicConfig()
    scripts.set_main_option("script_location", migrations)
    before = ScriptDirectory.from_config(scripts).get_revision(SHARED_STORES)
    with flask_app.app_context():
        upgrade(directory=migrations, revision=before.down_revision)
        yield flask_app, tmp_path
        _db.session.remove()
        _db.engine.dispose()
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    server.dispose()


def _legacy_model() -> bytes:
    """A model file as the previous release wrote it: the classifier's arrays and meta in an .npz."""
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((6, 640)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cohort = load_cohort(SHIPPED_COHORT, "facenet-20180408+dlib-resnet-v1")[0]
    model = train_from_vectors(vectors, np.array(["L1"] * 3 + ["L2"] * 3), cohort)
    return encode_model(*classifier_to_arrays(model))


def _make_legacy_rows_and_files(root: Path, photo: bytes) -> dict[str, bytes]:
    """What the previous release left: two photos (one only on another host), a crop, a model, an avatar."""
    run = lambda sql, **values: _db.session.execute(sa.text(sql), values)  # noqa: E731
    run("INSERT INTO users (id, username, password_hash, role, active, must_change_password, created_at) "
        "VALUES (1, 'L1', 'x', 'staff', 1, 0, :now)", now=NOW)
    run("INSERT INTO staff (id, user_id, staff_id, first_name, last_name, avatar_path, folder, created_at) "
        "VALUES (1, 1, 'L1', 'Lea', 'Gacy', 'avatars/0123abcd.jpg', 'Lea_Gacy_L1', :now)", now=NOW)
    for image_id, name in ((1, "0001.jpg"), (2, "0002.jpg")):
        run("INSERT INTO face_images (id, staff_id, raw_path, processed_path, created_at) "
            "VALUES (:id, 1, :raw, :crop, :now)", id=image_id, raw=f"raw/Lea_Gacy_L1/{name}",
            crop=f"processed/Lea_Gacy_L1/{name}", now=NOW)
    run("INSERT INTO model_versions (id, version, created_at, kind, embedder, people_count, image_count, path) "
        "VALUES (1, 1, :now, 'full', 'facenet-20180408+dlib-resnet-v1', 2, 6, 'model-000001.npz')", now=NOW)
    _db.session.commit()  # fmt: skip
    files = {
        "dataset/raw/Lea_Gacy_L1/0001.jpg": photo,  # 0002.jpg was taken on another host
        "dataset/processed/Lea_Gacy_L1/0001.jpg": b"a crop",
        "models/model-000001.npz": _legacy_model(),
        "models/LATEST": b"1\n",
        "media/avatars/0123abcd.jpg": b"\xff\xd8 avatar",
    }
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    return files


def test_an_older_site_moves_its_files_into_the_database(legacy_site, repo_root: Path, faces_dir: Path) -> None:
    flask_app, root = legacy_site
    photo = next((faces_dir / "people").glob("*/*.jpg")).read_bytes()
    files = _make_legacy_rows_and_files(root, photo)
    upgrade(directory=str(repo_root / "migrations"))
    assert newest_version() is None  # the model is recorded, its bytes not moved yet: nothing half-loaded
    runner = flask_app.test_cli_runner()

    dry = runner.invoke(args=["storage", "move-to-db", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    counts = "would move 1 photos, 1 model versions and 1 avatars into the database; would delete 1 crop files"
    assert counts in dry.output
    assert "not on this host: 1 photos, 0 model versions, 0 avatars" in dry.output
    assert all((root / relative).is_file() for relative in files)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(PhotoBlob)) == 0

    moved = runner.invoke(args=["storage", "move-to-db"])
    assert moved.exit_code == 0, moved.output
    assert "moved 1 photos, 1 model versions and 1 avatars into the database; deleted 1 crop files" in moved.output
    assert [p for p in root.rglob("*") if p.is_file()] == []
    _db.session.expire_all()
    assert _db.session.scalar(sa.select(PhotoBlob.jpeg).where(PhotoBlob.face_image_id == 1)) == photo
    assert _db.session.scalar(sa.select(AvatarBlob.jpeg)) == b"\xff\xd8 avatar"
    row = _db.session.scalar(sa.select(ModelVersion))
    assert row.size == len(files["models/model-000001.npz"]) and len(row.checksum) == 64
    assert newest_version() == 1 and sorted(load_classifier(1).classes) == ["L1", "L2"]
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(FaceImage)) == 2

    again = runner.invoke(args=["storage", "move-to-db"])
    assert "moved 0 photos, 0 model versions and 0 avatars" in again.output
