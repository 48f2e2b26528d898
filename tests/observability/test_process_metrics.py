"""What camera_ingest and the recognize task put into the shared metrics, on the real Redis and MariaDB."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.accounts import create_gate
from app.gates.in_flight import in_flight_key, take_slot
from app.observability.logfmt import logfmt
from app.observability.metrics import (
    LAST_FRAME_KEY,
    WORKERS_KEY,
    MetricsBatch,
    process_id,
    read_counter,
    read_histogram,
    read_stamps,
)
from app.redis_client import get_redis
from app.tasks.recognize import recognize
from camera_ingest.metrics import StatsPublisher
from camera_ingest.reader import GateReader, ReaderSettings, encode_jpeg
from testkit.processes import free_port
from testkit.scenes import write_scene


@pytest.fixture()
def rds(app, redis_client):
    return get_redis(app.config["REDIS_URL"])


def test_ingest_publishes_increments_once_and_catches_up_after_a_failed_write(rds) -> None:
    stats = {3: {"sampled": 14, "paced": 4, "dropped": 2, "sent": 8, "send_errors": 0, "open_failures": 1}}
    publisher = StatsPublisher(rds, lambda: stats)
    assert publisher.publish()
    assert publisher.publish()  # nothing new: nothing added twice
    assert read_counter(rds, "frames_received") == {("3",): 14.0}
    assert read_counter(rds, "frames_paced") == {("3",): 4.0}
    assert read_counter(rds, "frames_dropped") == {("3",): 2.0}
    assert read_counter(rds, "camera_open_failures") == {("3",): 1.0}

    # Redis unreachable for one round: that round's increments arrive with the next one.
    stats[3] = {**stats[3], "sampled": 19, "sent": 13}
    unreachable = redis.Redis(port=free_port(), decode_responses=True, retry=Retry(NoBackoff(), 0))
    offline = StatsPublisher(unreachable, lambda: stats)
    offline._published = publisher._published
    assert not offline.publish()
    stats[3] = {**stats[3], "sampled": 24, "sent": 18}
    assert publisher.publish()
    assert read_counter(rds, "frames_received") == {("3",): 24.0}
    assert read_counter(rds, "frames_sent") == {("3",): 18.0}
    assert process_id() in read_stamps(rds, "facegate:metrics:ingests")


def test_a_reader_survives_redis_being_unreachable(tmp_path) -> None:
    """Before the fix, take_slot's ConnectionError ended the reader: the gate stayed dark after a Redis restart."""
    video = write_scene(tmp_path / "door.avi", [], total_s=1.0, fps=20.0)
    unreachable = redis.Redis(port=free_port(), decode_responses=True, retry=Retry(NoBackoff(), 0))
    sent = []
    reader = GateReader(5, str(video), ReaderSettings(fps=20), unreachable, lambda *frame: sent.append(frame))
    reader.start()
    reader.join(timeout=60)
    reader.stop()
    # It read the whole file (no exception ended it early), counted every sampled frame as not sent, sent none.
    assert reader.stats.frames_read == 20
    assert reader.stats.send_errors == reader.stats.sampled > 0 and sent == []


def test_the_recognize_task_counts_the_frame_its_stages_and_the_worker(app, db, rds, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MODEL_CHECK_S", 0)  # the store is empty now, whatever an earlier test published
    gate, _ = create_gate("Front", "")
    jpeg = base64.b64encode(encode_jpeg(np.full((480, 640, 3), 90, np.uint8), 85)).decode()
    captured = time.time() - 0.5
    for _ in range(2):
        recognize(gate.id, take_slot(rds, gate.id, 4), captured, jpeg)
    assert read_counter(rds, "frames_processed") == {(str(gate.id),): 2.0}
    stages = read_histogram(rds, "recognition_stage_seconds")
    assert sorted(stages) == [("align",), ("classify",), ("detect",), ("embed",), ("liveness",)]
    assert all(buckets[-1] == ("+Inf", 2.0) for buckets, _sum in stages.values())
    ((age_buckets, age_sum),) = read_histogram(rds, "frame_age_seconds").values()
    assert age_buckets[-1] == ("+Inf", 2.0) and age_sum >= 1.0
    assert read_stamps(rds, LAST_FRAME_KEY)[str(gate.id)][0] == pytest.approx(captured, abs=0.01)
    # No model published yet: the worker is seen, with no version.
    assert read_stamps(rds, WORKERS_KEY)[process_id()][1] == ""
    assert rds.zcard(in_flight_key(gate.id)) == 0


def test_a_metrics_write_to_an_unreachable_redis_is_dropped_not_raised() -> None:
    batch = MetricsBatch()
    batch.count("frames_processed", (1,))
    assert not batch.write(redis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0)))
    with pytest.raises(KeyError):
        batch.count("no_such_counter", (1,))


def test_logfmt_quotes_what_needs_it_and_leaves_out_none() -> None:
    line = logfmt("decision", gate=3, staff=None, error='bad "frame"\nhere', ms=12.345, empty="")
    assert line == 'event=decision gate=3 error="bad \\"frame\\"\\nhere" ms=12.3 empty=""'
