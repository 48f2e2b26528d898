"""Model bytes round-trip with their checksum, and a running watcher picks up a newer version without restarting."""

from __future__ import annotations

import numpy as np
import pytest

from app.recognition.store import ModelChecksumError, ModelWatcher, decode_model, encode_model, model_checksum


def test_a_model_round_trips_and_its_checksum_is_checked() -> None:
    data = encode_model({"w": np.arange(3.0)}, {"people": 1})
    arrays, meta = decode_model(data, model_checksum(data))
    np.testing.assert_array_equal(arrays["w"], np.arange(3.0))
    assert meta == {"people": 1}
    damaged = data[:-1] + bytes([data[-1] ^ 1])
    with pytest.raises(ModelChecksumError):
        decode_model(damaged, model_checksum(data))


def test_watcher_reloads_when_a_newer_or_different_version_is_published() -> None:
    store: dict[int, bytes] = {}
    builds: list[int] = []

    def newest() -> tuple[int, str] | None:
        return (max(store), model_checksum(store[max(store)])) if store else None

    def build(arrays: dict, meta: dict) -> int:
        builds.append(meta["n"])
        return meta["n"]

    watcher = ModelWatcher(newest, lambda version: decode_model(store[version]), build, check_every_s=0)
    assert watcher.current() is None
    store[1] = encode_model({"w": np.zeros(1)}, {"n": 1})
    assert watcher.current() == 1 and watcher.current() == 1
    store[2] = encode_model({"w": np.zeros(1)}, {"n": 2})
    assert watcher.current() == 2 and watcher.version == 2
    store.clear()  # emptied and filled again: the same number, another model
    assert watcher.current() is None and watcher.version is None
    store[1] = encode_model({"w": np.ones(1)}, {"n": 3})
    assert watcher.current() == 3 and watcher.version == 1
    assert builds == [1, 2, 3]


def test_watcher_asks_the_store_at_most_every_check_interval() -> None:
    asked: list[int] = []

    def newest() -> None:
        asked.append(1)

    watcher = ModelWatcher(newest, lambda version: ({}, {}), lambda arrays, meta: None, check_every_s=60)
    for _ in range(100):
        watcher.current()
    assert len(asked) == 1
