"""Liveness at the gate, on the real Redis and MariaDB with scores of real webcam frames (../shared/liveness, NUAA:
live people and hand-held printed photos; no screen replay): a track must be live over its frames before a person
is decided; a printed photo is a spoof; each gate's mode (enforce, warn, off) says what a spoof does."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts import AccountError, create_gate, create_staff
from app.gates.decide import DecisionRules, FaceVote, FrameResult, GateDecision, decide_frame, pending_key
from app.gates.deliver import deliver_pending
from app.gates.gate_rules import MODE_TTL_S, liveness_mode, rules_for_gate
from app.gates.liveness import LivenessRules
from app.gates.stream import gate_stream_key
from app.models import DecisionFace, Gate, Log
from app.recognition.images import read_image
from app.recognition.pipeline import Recognizer
from app.redis_client import get_redis

LIVENESS = LivenessRules(threshold=0.1, frames=5, spoof_frames=10)
RULES = DecisionRules(window_frames=50, min_votes=5, stranger_votes=10, cooldown_s=30.0, track_gap_s=2.0,
                      liveness=LIVENESS)  # fmt: skip
BOX = (100.0, 120.0, 160.0, 200.0)


def clip_scores(liveness_dir: Path, kind: str, subject: str, count: int) -> list[float]:
    """The liveness score of the presenting (largest) face in the first `count` frames of a subject's first clip."""
    recognizer = Recognizer(second="none")
    session = sorted((liveness_dir / kind / subject).iterdir())[0]
    frames = sorted(session.glob("*.jpg"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))[:count]
    scores = []
    for path in frames:
        rgb = read_image(path)
        results, _ = recognizer.check_faces(rgb)
        recognizer.score_liveness(rgb, results)
        scored = [r for r in results if r.liveness is not None]
        scores.append(max(scored, key=lambda r: r.face.box[2] * r.face.box[3]).liveness)
    return scores


@pytest.fixture(scope="module")
def scores(liveness_dir: Path) -> dict[str, list[float]]:
    """Real scores: subject 0002's live clip and printed photo, 12 frames each."""
    return {kind: clip_scores(liveness_dir, kind, "0002", 12) for kind in ("live", "print")}


def play(rds, scores: list[float], identity: str = "E1", gate_id: int = 1, t0: float = 1000.0, seq0: int = 1):
    """The decisions of a track whose every frame names identity, with these liveness scores, at 10 frames/s."""
    decisions = []
    for i, score in enumerate(scores):
        frame = FrameResult(gate_id, seq0 + i, t0 + i / 10, [FaceVote(BOX, identity, liveness=score)])
        decisions += decide_frame(rds, frame, RULES)
    return decisions


@pytest.mark.slow
def test_a_live_person_is_decided_live_and_a_printed_photo_a_spoof(rds, scores) -> None:
    assert min(scores["live"]) > 0.5 and max(scores["print"]) < 0.05
    live = play(rds, scores["live"], gate_id=1)
    assert [(d.identity, d.seq, d.liveness) for d in live] == [("E1", 5, "live")]
    # The photo's track names E1 from frame 5 on, but is never live: a spoof once 10 of its faces were scored.
    photo = play(rds, scores["print"], gate_id=2)
    assert [(d.identity, d.seq, d.liveness) for d in photo] == [("E1", 10, "spoof")]
    assert photo[0].liveness_score is not None and photo[0].liveness_score < LIVENESS.threshold


@pytest.mark.slow
def test_liveness_is_pooled_over_frames_so_a_few_photo_like_frames_do_not_refuse_a_live_person(rds, scores) -> None:
    # Two of the first five frames replaced by a printed photo's scores: the first pooled mean may fall short, but
    # five consecutive live frames make the track live before it could be called a spoof.
    mixed = [scores["print"][0], *scores["live"][1:3], scores["print"][1], *scores["live"][4:12]]
    decisions = play(rds, mixed)
    assert [(d.identity, d.liveness) for d in decisions] == [("E1", "live")]


@pytest.mark.slow
def test_a_photo_shown_first_does_not_hold_back_the_real_persons_grant(rds, scores) -> None:
    photo = play(rds, scores["print"], t0=1000.0, seq0=1)
    # The real person steps up 3 s later (a new track), well within the 30 s cooldown of the spoof.
    person = play(rds, scores["live"], t0=1004.0, seq0=41)
    assert [d.liveness for d in photo] == ["spoof"] and [d.liveness for d in person] == ["live"]


@pytest.mark.slow
def test_a_photo_moved_about_so_much_that_its_track_broke_up_is_a_spoof_when_it_ends(rds, scores) -> None:
    # A hand-held print jumps across the frame: two tracks of 6 faces each, both naming E1, neither live, neither
    # long enough (10 scored faces) to be called a spoof while in view.
    far = (420.0, 100.0, 120.0, 150.0)
    faces = [FaceVote(BOX if i < 6 else far, "E1", liveness=score) for i, score in enumerate(scores["print"])]
    frames = [FrameResult(1, i + 1, 1000 + i / 10, [face]) for i, face in enumerate(faces)]
    frames += [FrameResult(1, s, 1000 + s / 10) for s in range(13, 50)]  # nobody, for 3.7 s
    decisions = [d for f in frames for d in decide_frame(rds, f, RULES)]
    # One spoof when the first track ends; the second, within the cooldown, is the same photo: not announced again.
    assert [(d.identity, d.liveness, d.seq, d.box) for d in decisions] == [("E1", "spoof", 6, None)]
    # A live person whose track breaks up the same way is never called a spoof: their tracks were live.
    live = [FaceVote(BOX if i < 6 else far, "E2", liveness=score) for i, score in enumerate(scores["live"])]
    frames = [FrameResult(2, i + 1, 1000 + i / 10, [face]) for i, face in enumerate(live)]
    frames += [FrameResult(2, s, 1000 + s / 10) for s in range(13, 50)]
    assert [(d.identity, d.liveness) for d in (d for f in frames for d in decide_frame(rds, f, RULES))] == [
        ("E2", "live")
    ]


def test_votes_without_a_score_are_decided_unchecked(rds) -> None:
    frames = [FrameResult(1, s, 1000 + s / 10, [FaceVote(BOX, "E1")]) for s in range(1, 8)]
    decisions = [d for f in frames for d in decide_frame(rds, f, RULES)]
    assert [(d.identity, d.seq, d.liveness) for d in decisions] == [("E1", 5, None)]


@pytest.fixture()
def site(app, db, redis_client):
    gates = {mode: create_gate(f"Door {mode}", "0", liveness=mode)[0].id for mode in ("enforce", "warn", "off")}
    create_staff("E1", "Ada", "Lovelace", gate_names=[f"Door {mode}" for mode in gates])
    create_staff("E2", "Alan", "Turing")
    return {"gates": gates, "rds": get_redis(app.config["REDIS_URL"]), "config": app.config}


def deliver(site, mode: str, identity: str, liveness: str | None) -> dict:
    """Deliver one decision at the gate with this mode; the event the gate got."""
    gate_id = site["gates"][mode]
    decision = GateDecision(uuid.uuid4().hex, gate_id, identity, 1, 1000.0, BOX, None, liveness, 0.01)
    site["rds"].hset(pending_key(gate_id), decision.id, decision.to_json())
    deliver_pending(site["rds"], gate_id, site["config"], "facenet-20180408")
    ((_id, fields),) = site["rds"].xrevrange(gate_stream_key(gate_id), count=1)
    return json.loads(fields["event"])


def test_enforce_refuses_a_spoof_with_the_person_it_resembled_and_writes_no_log_row(site, db) -> None:
    event = deliver(site, "enforce", "E1", "spoof")
    assert (event["type"], event["staff_id"], event["liveness"], event["direction"]) == ("spoof", "E1", "spoof", None)
    assert db.session.scalars(select(Log)).all() == []
    face = db.session.scalar(select(DecisionFace))
    assert (face.kind, face.staff.staff_id) == ("spoof", "E1")
    # A person not cleared for the door, shown as a photo, is a spoof too; a live person is granted as before.
    assert deliver(site, "enforce", "E2", "spoof")["type"] == "spoof"
    assert (deliver(site, "enforce", "E1", "live")["type"], db.session.scalar(select(Log.status))) == ("granted", "in")


def test_warn_lets_the_decision_stand_and_marks_it_not_live(site, db) -> None:
    event = deliver(site, "warn", "E1", "spoof")
    assert (event["type"], event["liveness"]) == ("granted", "spoof")
    assert [row.status for row in db.session.scalars(select(Log))] == ["in"]
    assert (deliver(site, "warn", "E2", "spoof")["type"], deliver(site, "warn", "E1", "live")["liveness"]) == (
        "denied",
        None,
    )


def test_off_ignores_liveness(site, db) -> None:
    event = deliver(site, "off", "E1", "spoof")
    assert (event["type"], event["liveness"]) == ("granted", None)


def test_a_gate_whose_liveness_is_off_decides_without_waiting_for_it(app, site, db) -> None:
    config = {**app.config, "LIVENESS_THRESHOLD": 0.1, "LIVENESS_FRAMES": 5}
    assert rules_for_gate(config, site["gates"]["off"]).liveness is None
    assert rules_for_gate(config, site["gates"]["warn"]).liveness == LivenessRules(0.1, 5, config["STRANGER_VOTES"])
    # An admin's change is seen once the cached mode is older than MODE_TTL_S.
    gate = db.session.get(Gate, site["gates"]["enforce"])
    assert liveness_mode(gate.id, now=0.0) == "enforce"
    gate.liveness = "off"
    db.session.commit()
    assert liveness_mode(gate.id, now=1.0) == "enforce" and liveness_mode(gate.id, now=1.0 + MODE_TTL_S) == "off"


def test_a_gate_needs_a_known_liveness_mode(app, db) -> None:
    with pytest.raises(AccountError, match="liveness mode must be one of off, warn, enforce"):
        create_gate("Side door", "0", liveness="strict")
    assert create_gate("Side door", "0")[0].liveness == "enforce"
