"""Uploaded photos: checked by content, re-encoded, bounded, stored in the shared database (never on disk)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from app.accounts import create_staff
from app.enrolment.dataset import DatasetPathError, person_dir, resolve_stored
from app.enrolment.photos import add_uploaded_photos
from app.models import FaceImage, PhotoBlob


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture()
def ada(db):
    return create_staff("A1", "Ada", "Lovelace")[0]


def stored_jpegs(db) -> dict[str, bytes]:
    rows = db.session.execute(db.select(FaceImage.raw_path, PhotoBlob.jpeg).join(PhotoBlob)).all()
    return dict(rows)


def test_real_photos_are_stored_as_jpegs_under_names_of_their_own(db, ada, faces_dir: Path, app) -> None:
    photos = sorted((faces_dir / "people").iterdir())[0].glob("*.jpg")
    files = [(p.name, p.read_bytes()) for p in sorted(photos)[:3]]
    result = add_uploaded_photos(ada, files)
    assert result.errors == []
    assert len(set(result.saved)) == 3
    assert all(name.startswith(f"raw/{ada.folder}/") and name.endswith(".jpg") for name in result.saved)
    stored = stored_jpegs(db)
    assert sorted(stored) == sorted(result.saved)
    assert all(Image.open(io.BytesIO(jpeg)).format == "JPEG" for jpeg in stored.values())
    assert not (Path(app.config["DATA_DIR"]) / "raw").exists()


def test_bad_files_get_a_reason_and_the_rest_goes_on(db, ada, faces_dir: Path) -> None:
    good = next((faces_dir / "people").glob("*/*.jpg")).read_bytes()
    files = [
        ("../../etc/passwd", b"root:x:0:0"),
        ("empty.jpg", b""),
        ("cut.jpg", good[: len(good) // 3]),
        ("script.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("bomb.png", _png(30000, 30000)),
        ("ok.jpg", good),
    ]
    result = add_uploaded_photos(ada, files)
    reasons = dict(result.errors)
    assert set(reasons) == {"../../etc/passwd", "empty.jpg", "cut.jpg", "script.svg", "bomb.png"}
    assert "too large" in reasons["bomb.png"] and "empty" in reasons["empty.jpg"]
    assert list(stored_jpegs(db)) == result.saved and len(result.saved) == 1


def test_zip_uploads_are_unpacked_by_content_and_bombs_refused(db, ada, faces_dir: Path, tmp_path: Path) -> None:
    photo = next((faces_dir / "people").glob("*/*.jpg")).read_bytes()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../evil.jpg", photo)
        zf.writestr("nested/ok.jpg", photo)
        zf.writestr("zeros.bin", b"\0" * (20 * 1024 * 1024))
    result = add_uploaded_photos(ada, [("photos.zip", archive.getvalue())])
    assert len(result.saved) == 2 and sorted(stored_jpegs(db)) == sorted(result.saved)
    assert all(name.startswith(f"raw/{ada.folder}/") for name in result.saved)
    assert [name for name, _ in result.errors] == ["photos.zip:zeros.bin"]
    assert not (tmp_path / "evil.jpg").exists()


@pytest.mark.parametrize("folder", ["..", "../x", "a/b", "", "a\\b"])
def test_unsafe_folder_names_are_refused(folder: str, tmp_path: Path) -> None:
    with pytest.raises(DatasetPathError):
        person_dir(tmp_path, "raw", folder)


def test_stored_paths_cannot_leave_the_data_root(tmp_path: Path) -> None:
    assert resolve_stored(tmp_path, "raw/a/0001.jpg") == (tmp_path / "raw/a/0001.jpg").resolve()
    with pytest.raises(DatasetPathError):
        resolve_stored(tmp_path, "../outside.jpg")
