"""camera_ingest's pacing on real images and the real Redis: which sampled frames of a gate go to the workers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.gates.faces_seen import FacesSeen, record_faces
from camera_ingest.pacing import Pacer, moved, thumbnail
from camera_ingest.reader import GateReader, ReaderSettings
from testkit.processes import free_port
from testkit.scenes import background, paste_walker, scene_frame, write_scene

FPS = 10.0
NOBODY = FacesSeen(None, None)


def as_camera_sends(bgr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """bgr with fresh sensor noise (sigma 3), through a JPEG at quality 85 and back."""
    noisy = np.clip(bgr.astype(np.float32) + rng.normal(0, 3, bgr.shape), 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR)


@pytest.fixture()
def photos(faces_dir) -> list[np.ndarray]:
    """The first photo of each of the first five people, as BGR."""
    folders = sorted(path for path in (faces_dir / "people").iterdir() if path.is_dir())[:5]
    return [cv2.imread(str(sorted(folder.glob("*.jpg"))[0])) for folder in folders]


def play(pacer: Pacer, frames: list[np.ndarray], seen: list[FacesSeen | None], t0: float = 1000.0) -> list[int]:
    """Offer frames sampled at FPS (with a little timer jitter) to pacer; the indices it sent."""
    jitter = np.random.default_rng(1).uniform(-0.01, 0.01, len(frames))
    sent = []
    for index, (frame, lately) in enumerate(zip(frames, seen, strict=True)):
        captured_at = t0 + index / FPS + jitter[index]
        if pacer.wants(frame, captured_at, lately):
            pacer.sent(captured_at)
            sent.append(index)
    return sent


def test_sensor_noise_and_jpeg_are_not_motion_but_a_person_stepping_in_is(photos) -> None:
    rng = np.random.default_rng(0)
    for seed in range(3):
        scene = background(seed=seed)
        before = thumbnail(as_camera_sends(scene, rng))
        assert not moved(before, thumbnail(as_camera_sends(scene, rng)))
        for photo in photos:
            with_person = scene.copy()
            paste_walker(with_person, photo, index=0)
            assert moved(before, thumbnail(as_camera_sends(with_person, rng)))


def test_every_frame_goes_while_a_face_is_still_to_be_identified() -> None:
    frames = [background()] * 30
    # The workers last saw an undecided face 0.3 s before each frame (they lag a little behind the camera).
    seen = [FacesSeen(1000.0 + i / FPS - 0.3, 1000.0 + i / FPS - 0.3) for i in range(30)]
    assert play(Pacer(FPS, 5, 2), frames, seen) == list(range(30))


def test_decided_faces_only_get_about_decided_fps(photos) -> None:
    frames = [scene_frame(background(), photos[0], i) for i in range(30)]
    # A face in view, decided: the last undecided one is long gone.
    seen = [FacesSeen(1000.0 + i / FPS - 0.3, 990.0) for i in range(30)]
    sent = play(Pacer(FPS, 5, 2), frames, seen)
    assert sent == list(range(0, 30, 2))  # 5 of the 10 frames each second, evenly spaced


def test_a_still_empty_scene_gets_about_idle_fps_and_a_person_stepping_in_goes_at_once(photos) -> None:
    rng = np.random.default_rng(2)
    scene = background()
    frames = [as_camera_sends(scene, rng) for _ in range(33)]
    frames += [as_camera_sends(scene_frame(scene, photos[1], i), rng) for i in range(33, 36)]
    sent = play(Pacer(FPS, 5, 2), frames, [NOBODY] * len(frames))
    # Every 0.5 s while nothing moves (frames 0, 5, ..., 30); frame 33, the first with the person, at once, and
    # every frame after it for a second (the workers have not reported the face yet; each frame is a vote).
    assert sent == [*range(0, 31, 5), 33, 34, 35]


def test_a_face_seen_more_than_a_second_ago_no_longer_counts() -> None:
    frames = [background()] * 20
    seen = [FacesSeen(1000.0 - 1.5, 1000.0 - 1.5)] * 20
    assert play(Pacer(FPS, 5, 2), frames, seen) == [0, 5, 10, 15]


def test_unknown_faces_seen_sends_and_equal_rates_turn_pacing_off() -> None:
    assert play(Pacer(FPS, 5, 2), [background()] * 10, [None] * 10) == list(range(10))
    assert not Pacer(FPS, FPS, FPS).active and Pacer(FPS, FPS, 2).active


def test_a_reader_paces_a_still_scene_and_counts_what_it_held_back(rds, tmp_path) -> None:
    video = write_scene(tmp_path / "empty.avi", [], total_s=3.0, fps=FPS)
    sent = []
    settings = ReaderSettings(fps=FPS, decided_fps=5, idle_fps=2, max_in_flight=1000)
    reader = GateReader(3, str(video), settings, rds, lambda *frame: sent.append(frame))
    reader.start()
    reader.join(timeout=60)
    stats = reader.stats
    assert stats.frames_read == 30 and stats.dropped == 0 and stats.send_errors == 0
    # About 2 frames/s of the 3 s (timer jitter on a busy machine may add or lose one).
    assert 5 <= stats.sent == len(sent) <= 8
    assert stats.paced == stats.sampled - stats.sent > 0


def test_a_reader_with_a_face_to_identify_in_view_sends_every_frame(rds, tmp_path) -> None:
    video = write_scene(tmp_path / "empty.avi", [], total_s=2.0, fps=FPS)
    # What a worker saw, stamped in the ingest's future stays recent for this whole playback.
    record_faces(rds, 3, 4e9, faces=1, undecided=1)
    settings = ReaderSettings(fps=FPS, decided_fps=5, idle_fps=2, max_in_flight=1000)
    reader = GateReader(3, str(video), settings, rds, lambda *frame: None)
    reader.start()
    reader.join(timeout=60)
    assert reader.stats.paced == 0 and reader.stats.sent == reader.stats.sampled > 10


def test_a_pacing_reader_sends_when_redis_cannot_say_what_the_workers_saw(tmp_path) -> None:
    video = write_scene(tmp_path / "empty.avi", [], total_s=1.0, fps=20.0)
    unreachable = redis.Redis(port=free_port(), decode_responses=True, retry=Retry(NoBackoff(), 0))
    settings = ReaderSettings(fps=20, decided_fps=5, idle_fps=2)
    reader = GateReader(5, str(video), settings, unreachable, lambda *frame: None)
    reader.start()
    reader.join(timeout=60)
    # Nothing held back by pacing: every sampled frame went on to take a slot (which failed and was counted).
    assert reader.stats.paced == 0 and reader.stats.send_errors == reader.stats.sampled > 0
