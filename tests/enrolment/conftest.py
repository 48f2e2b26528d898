"""Fixtures for the enrolment tests: people with photos, and videos made from their photos."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.scenes import Pass, write_scene


def people_photos(faces_dir: Path, count: int) -> dict[str, list[Path]]:
    """The first `count` enrollable people (by name) and their photos, in name order."""
    folders = sorted(p for p in (faces_dir / "people").iterdir() if p.is_dir())[:count]
    return {folder.name: sorted(folder.glob("*.jpg")) for folder in folders}


@pytest.fixture()
def photo_video(tmp_path: Path):
    """photo_video(photos, seconds_each, fps=10): a 640x480 video showing each photo in turn on a corridor."""

    def make(photos: list[Path], seconds_each: float = 0.5, fps: float = 10.0) -> Path:
        passes = [Pass("x", photo, i * seconds_each, (i + 1) * seconds_each) for i, photo in enumerate(photos)]
        return write_scene(tmp_path / "capture.avi", passes, len(photos) * seconds_each, fps)

    return make
