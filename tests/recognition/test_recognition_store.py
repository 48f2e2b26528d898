"""Model versions are written atomically and a running loader picks up a newer one without restarting."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from app.recognition import store
from app.recognition.store import ModelWatcher, latest_version, list_versions, load_model, save_model


def test_versions_are_numbered_and_latest_points_at_the_newest(tmp_path: Path) -> None:
    assert latest_version(tmp_path) is None and list_versions(tmp_path) == []
    assert save_model(tmp_path, {"w": np.arange(3.0)}, {"people": 1}) == 1
    assert save_model(tmp_path, {"w": np.arange(4.0)}, {"people": 2}) == 2
    assert list_versions(tmp_path) == [1, 2] and latest_version(tmp_path) == 2
    arrays, meta = load_model(tmp_path, 1)
    np.testing.assert_array_equal(arrays["w"], np.arange(3.0)) and meta == {"people": 1}
    assert sorted(os.listdir(tmp_path)) == ["LATEST", "model-000001.npz", "model-000002.npz"]


def test_a_failed_write_leaves_no_partial_model_and_keeps_latest(tmp_path: Path, monkeypatch) -> None:
    save_model(tmp_path, {"w": np.zeros(2)}, {})

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model(tmp_path, {"w": np.ones(2)}, {})
    assert sorted(os.listdir(tmp_path)) == ["LATEST", "model-000001.npz"]
    assert latest_version(tmp_path) == 1


def test_watcher_reloads_when_a_newer_version_is_published(tmp_path: Path) -> None:
    builds: list[int] = []

    def build(arrays: dict, meta: dict) -> int:
        builds.append(meta["n"])
        return meta["n"]

    watcher = ModelWatcher(tmp_path, build)
    assert watcher.current() is None
    save_model(tmp_path, {"w": np.zeros(1)}, {"n": 1})
    assert watcher.current() == 1 and watcher.current() == 1
    save_model(tmp_path, {"w": np.zeros(1)}, {"n": 2})
    assert watcher.current() == 2 and watcher.version == 2
    assert builds == [1, 2]
