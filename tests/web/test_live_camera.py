"""The live camera view: what the recognize task keeps of each frame, and what the admin's page gets of it."""

from __future__ import annotations

import base64
import time

import numpy as np

from app.gates.camera_view import (
    FACE_FRAME_TTL_S,
    VIEW_TTL_S,
    face_frame_key,
    keep_frame,
    latest_face_frame,
    latest_view,
    view_key,
)
from app.recognition.classify import FaceVerdict
from app.recognition.detect import Face
from app.recognition.pipeline import FaceResult
from app.redis_client import get_redis

JPEG_B64 = base64.b64encode(b"\xff\xd8 a frame as the camera sent it").decode()


def face(box, label=None, rejection=None) -> FaceResult:
    verdict = None if rejection else FaceVerdict(label, label or "A001", 0.5, None, "test")
    return FaceResult(Face(box, np.zeros((5, 2)), 0.99), rejection=rejection, verdict=verdict)


def test_the_latest_view_keeps_the_frame_as_sent_and_expires(app, redis_client):
    rds = get_redis(app.config["REDIS_URL"])
    keep_frame(rds, 7, 41, 1000.5, JPEG_B64, [face((10, 20, 50, 60), "A001"), face((1, 2, 3, 4))], True)
    view = latest_view(rds, 7)
    assert view["jpeg"] == JPEG_B64 and view["seq"] == 41
    assert view["faces"] == [{"box": [10.0, 20.0, 50.0, 60.0], "label": "A001", "rejection": None},
                             {"box": [1.0, 2.0, 3.0, 4.0], "label": None, "rejection": None}]  # fmt: skip
    assert 0 < rds.ttl(view_key(7)) <= VIEW_TTL_S
    assert latest_view(rds, 8) is None
    # A frame with a face is also the gate's latest face frame, kept longer; one with none leaves it alone.
    assert VIEW_TTL_S < rds.ttl(face_frame_key(7)) <= FACE_FRAME_TTL_S
    keep_frame(rds, 7, 42, 1000.6, JPEG_B64, [], True)
    assert latest_view(rds, 7)["seq"] == 42 and latest_face_frame(rds, 7)["seq"] == 41
    # Without the live view only face frames are kept.
    keep_frame(rds, 9, 1, 1000.0, JPEG_B64, [], False)
    keep_frame(rds, 9, 2, 1000.1, JPEG_B64, [face((1, 2, 3, 4))], False)
    assert latest_view(rds, 9) is None and latest_face_frame(rds, 9)["seq"] == 2


def test_a_face_only_tracked_shows_what_its_track_was_decided_to_be(app, redis_client):
    rds = get_redis(app.config["REDIS_URL"])
    tracked = FaceResult(Face((10, 20, 50, 60), np.zeros((5, 2)), 0.99), skipped=True)
    keep_frame(rds, 7, 42, 1000.6, JPEG_B64, [face((1, 2, 3, 4), "B002"), tracked], True, [None, "A001"])
    assert [(m["label"], m["rejection"]) for m in latest_view(rds, 7)["faces"]] == [("B002", None), ("A001", None)]


def test_admins_get_names_boxes_and_the_frame_others_get_nothing(app, db, people, admin_client, alice_client):
    rds = get_redis(app.config["REDIS_URL"])
    url = f"/admin/live/camera/{people.gate.id}.json"
    empty = admin_client.get(url).get_json()
    assert empty["image"] is None and "No frame processed" in empty["message"]
    faces = [face((10, 20, 50, 60), "A001"), face((100, 20, 50, 60)), face((200, 20, 20, 20), rejection="too small")]
    keep_frame(rds, people.gate.id, 3, time.time(), JPEG_B64, faces, True)
    payload = admin_client.get(url).get_json()
    assert payload["image"] == f"data:image/jpeg;base64,{JPEG_B64}" and payload["gate"] == "Front"
    assert (payload["door"], payload["lockdown"]) == ("", False)
    people.gate.door_state, people.gate.lockdown = "open", True
    db.session.commit()
    assert {k: v for k, v in admin_client.get(url).get_json().items() if k in ("door", "lockdown")} == {
        "door": "open", "lockdown": True}
    assert [(f["caption"], f["kind"]) for f in payload["faces"]] == [
        ("Alice Archer", "known"), ("stranger", "stranger"), ("too small", "unidentified")
    ]
    assert alice_client.get(url).status_code == 403
    gate_client = app.test_client()
    gate_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {people.gate_token}"
    assert gate_client.get(url).status_code == 302
    assert admin_client.get("/admin/live/camera/999999.json").status_code == 404
    page = admin_client.get("/admin/live/").get_data(as_text=True)
    assert f'data-url="{url}"' in page and "camera.js" in page
