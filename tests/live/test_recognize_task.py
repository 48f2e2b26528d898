"""The recognize task in-process with the real recognition core, MariaDB and Redis: frames in, decisions out."""

from __future__ import annotations

import base64
import json

import cv2
import pytest
from sqlalchemy import select

from app.accounts import create_gate, create_staff
from app.gates.camera_view import latest_view
from app.gates.decide import window_key
from app.gates.faces_seen import read_faces_seen
from app.gates.in_flight import in_flight_key, take_slot
from app.gates.stream import gate_stream_key
from app.models import DecisionFace, Log
from app.tasks.recognize import recognize
from camera_ingest.reader import encode_jpeg
from testkit.scenes import background, scene_frame


def frame_b64(photo=None, index: int = 0) -> str:
    image = None if photo is None else cv2.imread(str(photo))
    return base64.b64encode(encode_jpeg(scene_frame(background(), image, index), 85)).decode()


@pytest.fixture()
def gate(app, db, rds, trained_model, monkeypatch):
    monkeypatch.setitem(app.config, "MODEL_CHECK_S", 0)  # this process's watcher looks at every frame
    trained_model.publish()
    gate, _token = create_gate("Front", "")
    return gate


def send_frames(rds, gate_id: int, frames: list[str], t0: float = 1000.0) -> None:
    for index, jpeg in enumerate(frames):
        seq = take_slot(rds, gate_id, 100)
        recognize(gate_id, seq, t0 + index * 0.1, jpeg)


def gate_events(rds, gate_id: int) -> list[dict]:
    return [json.loads(fields["event"]) for _id, fields in rds.xrange(gate_stream_key(gate_id))]


@pytest.mark.slow
def test_frames_of_an_enrolled_person_grant_once_and_log_in(db, rds, gate, trained_model) -> None:
    name = sorted(trained_model.held_out)[0]
    staff, _ = create_staff(name, "Ada", "Probe", gate_names=["Front"])
    photo = trained_model.held_out[name][0]
    send_frames(rds, gate.id, [frame_b64()] + [frame_b64(photo, i) for i in range(8)])
    events = gate_events(rds, gate.id)
    assert [(e["type"], e["staff_id"], e["direction"], e["first_name"]) for e in events] == [
        ("granted", name, "in", "Ada")
    ]
    rows = db.session.scalars(select(Log)).all()
    assert [(row.staff_id, row.status, row.decision_id) for row in rows] == [(staff.id, "in", events[0]["id"])]
    assert rds.zcard(in_flight_key(gate.id)) == 0
    [face] = db.session.scalars(select(DecisionFace)).all()
    assert (face.decision_id, face.kind, face.staff_id) == (events[0]["id"], "granted", staff.id)
    assert face.crop.startswith(b"\xff\xd8") and len(face.embedding_vector()) in (512, 640)


@pytest.mark.slow
def test_frames_of_a_stranger_make_one_stranger_event_and_no_row(app, db, rds, gate, faces_dir, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SNAPSHOT_FRAMES", True)  # the site keeps whole frames too
    stranger = sorted((faces_dir / "strangers").glob("*/*.jpg"))[0]
    frames = [frame_b64(stranger, i) for i in range(12)]
    send_frames(rds, gate.id, frames)
    events = gate_events(rds, gate.id)
    assert [(e["type"], e["staff_id"]) for e in events] == [("stranger", None)]
    assert db.session.scalars(select(Log)).all() == []
    # Its face joins the site cohort: the track's mean embedding with a second-embedder part, and a crop for review.
    [face] = db.session.scalars(select(DecisionFace)).all()
    assert (face.decision_id, face.kind, face.staff_id) == (events[0]["id"], "stranger", None)
    assert len(face.embedding_vector()) == 640 and face.embedder == "facenet-20180408+dlib-resnet-v1"
    assert face.crop.startswith(b"\xff\xd8")
    # The whole deciding frame, byte for byte as the camera sent it (no second encode).
    assert face.frame in {base64.b64decode(frame) for frame in frames}
    # The live camera view holds the latest frame as sent, with the stranger's box.
    view = latest_view(rds, gate.id)
    assert view["jpeg"] == frames[-1] and view["seq"] == 12
    assert [(mark["label"], mark["rejection"]) for mark in view["faces"]] == [(None, None)]


def test_a_corrupt_frame_counts_as_empty_and_frees_its_slot(db, rds, gate) -> None:
    send_frames(rds, gate.id, ["bm90IGEganBlZw==", "%%%not base64%%%"])
    assert json.loads(rds.get(window_key(gate.id)))["seqs"] == [1, 2]
    assert rds.zcard(in_flight_key(gate.id)) == 0
    assert gate_events(rds, gate.id) == []


@pytest.mark.slow
def test_a_stranger_who_passes_quickly_gets_the_snapshot_of_their_last_frame(app, db, rds, gate, faces_dir,
                                                                             monkeypatch) -> None:  # fmt: skip
    monkeypatch.setitem(app.config, "SNAPSHOT_FRAMES", True)
    stranger = sorted((faces_dir / "strangers").glob("*/*.jpg"))[0]
    # Fewer frames than STRANGER_VOTES: announced only when the track ends, TRACK_GAP_S after its last frame.
    seen = [frame_b64(stranger, i) for i in range(7)]
    gone = [frame_b64() for _ in range(int(app.config["TRACK_GAP_S"] / 0.1) + 3)]
    send_frames(rds, gate.id, seen + gone)
    events = gate_events(rds, gate.id)
    assert [e["type"] for e in events] == ["stranger"]
    [face] = db.session.scalars(select(DecisionFace)).all()
    assert face.crop.startswith(b"\xff\xd8")
    assert face.frame == base64.b64decode(seen[-1])  # the track's last frame, as the camera sent it


@pytest.mark.slow
def test_a_lingering_person_is_decided_once_and_not_embedded_again(db, rds, gate, trained_model) -> None:
    name = sorted(trained_model.held_out)[0]
    create_staff(name, "Ada", "Probe", gate_names=["Front"])
    photo = trained_model.held_out[name][0]
    # 30 frames (3 s, more than the track gap) of the same person standing at the door.
    send_frames(rds, gate.id, [frame_b64(photo, i) for i in range(30)])
    assert [(e["type"], e["staff_id"]) for e in gate_events(rds, gate.id)] == [("granted", name)]
    [track] = json.loads(rds.get(window_key(gate.id)))["tracks"]
    # Tracked to the last frame, embedded only until the decision (MIN_VOTES agreeing frames, 5 here).
    assert track["decided"] and track["last_seq"] == 30 and track["emb_n"] <= 10
    # What camera_ingest paces by: a face in the last frame, the last one to identify about a second in.
    seen = read_faces_seen(rds, gate.id)
    assert seen.faces_at == pytest.approx(1002.9) and 1000.3 < seen.undecided_at < 1001.0
