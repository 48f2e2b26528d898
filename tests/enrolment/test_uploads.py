"""Uploaded photos: checked by content, re-encoded, bounded, never written outside the person's folder."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from app.enrolment.dataset import DatasetPathError, person_dir, resolve_stored
from app.enrolment.uploads import save_uploaded_photos


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def test_real_photos_are_saved_as_numbered_jpegs(faces_dir: Path, tmp_path: Path) -> None:
    photos = sorted((faces_dir / "people").iterdir())[0].glob("*.jpg")
    files = [(p.name, p.read_bytes()) for p in sorted(photos)[:3]]
    result = save_uploaded_photos(files, tmp_path / "raw" / "Ada_1")
    assert result.errors == []
    assert [p.name for p in result.saved] == ["0001.jpg", "0002.jpg", "0003.jpg"]
    assert all(Image.open(p).format == "JPEG" for p in result.saved)


def test_bad_files_get_a_reason_and_the_rest_goes_on(faces_dir: Path, tmp_path: Path) -> None:
    good = next((faces_dir / "people").glob("*/*.jpg")).read_bytes()
    files = [
        ("../../etc/passwd", b"root:x:0:0"),
        ("empty.jpg", b""),
        ("cut.jpg", good[: len(good) // 3]),
        ("script.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("bomb.png", _png(30000, 30000)),
        ("ok.jpg", good),
    ]
    result = save_uploaded_photos(files, tmp_path / "raw" / "p")
    reasons = dict(result.errors)
    assert set(reasons) == {"../../etc/passwd", "empty.jpg", "cut.jpg", "script.svg", "bomb.png"}
    assert "too large" in reasons["bomb.png"] and "empty" in reasons["empty.jpg"]
    assert [p.name for p in result.saved] == ["0001.jpg"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["0001.jpg"]


def test_zip_uploads_are_unpacked_by_content_and_bombs_refused(faces_dir: Path, tmp_path: Path) -> None:
    photo = next((faces_dir / "people").glob("*/*.jpg")).read_bytes()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../evil.jpg", photo)
        zf.writestr("nested/ok.jpg", photo)
        zf.writestr("zeros.bin", b"\0" * (20 * 1024 * 1024))
    result = save_uploaded_photos([("photos.zip", archive.getvalue())], tmp_path / "raw" / "p")
    assert len(result.saved) == 2
    assert all(p.parent == tmp_path / "raw" / "p" for p in result.saved)
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
