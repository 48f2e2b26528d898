"""The decision rule on the real Redis: votes, the stranger rule, tracks, pooling, debounce, late frames, races."""

from __future__ import annotations

import random
import threading

import numpy as np

from app.gates.decide import DecisionRules, FaceVote, FrameResult, decide_frame, pending_decisions
from app.gates.decided_tracks import Decided, decided_faces
from app.redis_client import get_redis

RULES = DecisionRules(window_frames=50, min_votes=5, stranger_votes=10, cooldown_s=30.0, track_gap_s=2.0)
LEFT = (100.0, 120.0, 120.0, 150.0)
RIGHT = (420.0, 110.0, 110.0, 140.0)


def frame(seq: int, *faces: FaceVote, gate_id: int = 1, fps: float = 10.0, t0: float = 1000.0) -> FrameResult:
    return FrameResult(gate_id, seq, t0 + seq / fps, list(faces))


def run(rds, frames: list[FrameResult], pooled=None) -> list:
    return [d for f in frames for d in decide_frame(rds, f, RULES, pooled)]


def test_five_agreeing_frames_make_exactly_one_decision(rds) -> None:
    decisions = run(rds, [frame(s, FaceVote(LEFT, "E1")) for s in range(1, 5)])
    assert decisions == []
    decisions = run(rds, [frame(s, FaceVote(LEFT, "E1")) for s in range(5, 30)])
    assert [(d.identity, d.seq) for d in decisions] == [("E1", 5)]
    assert [d.id for d in pending_decisions(rds, 1)] == [decisions[0].id]


def test_a_stranger_needs_more_agreeing_frames_than_a_person(rds) -> None:
    faces = [FaceVote(LEFT, None if s % 3 else "E1") for s in range(1, 20)]
    decisions = run(rds, [frame(s, face) for s, face in enumerate(faces, start=1)])
    # Frames 3, 6, 9, 12 voted E1 (4 < 5); the tenth stranger vote (frame 14) decided.
    assert [(d.identity, d.seq) for d in decisions] == [(None, 14)]


def test_a_stranger_who_passes_quickly_is_announced_when_their_track_ends(rds) -> None:
    # Six stranger frames (fewer than STRANGER_VOTES), then nobody for more than the track gap.
    quick = run(rds, [frame(s, FaceVote(LEFT, None)) for s in range(1, 7)] + [frame(s) for s in range(7, 30)])
    # The decision names the track's last frame and box: its snapshot is cut from that frame.
    assert [(d.identity, d.seq, tuple(d.box)) for d in quick] == [(None, 6, LEFT)]
    # A member of staff seen as briefly, some frames unsure: no stranger announcement, the track waits and ends.
    faces = [FaceVote(RIGHT, "E2")] * 4 + [FaceVote(RIGHT, None)] * 3
    frames = [frame(s, f, gate_id=2) for s, f in enumerate(faces, 1)] + [frame(s, gate_id=2) for s in range(8, 40)]
    assert run(rds, frames) == []


def test_staff_with_a_few_unsure_frames_is_not_turned_away(rds) -> None:
    # Six unsure frames (the person turning towards the camera), then the person is recognised.
    faces = [FaceVote(LEFT, None)] * 6 + [FaceVote(LEFT, "E1")] * 5
    decisions = run(rds, [frame(s, face) for s, face in enumerate(faces, start=1)])
    assert [(d.identity, d.seq) for d in decisions] == [("E1", 11)]


def test_votes_outside_the_window_do_not_count(rds) -> None:
    rules = DecisionRules(window_frames=10, min_votes=5, cooldown_s=30.0, track_gap_s=100.0)
    # E1 in every 4th frame, nobody in between: never more than 3 votes in 10 frames, 9 votes in all.
    frames = [frame(s, FaceVote(LEFT, "E1")) if s % 4 == 0 else frame(s) for s in range(1, 40)]
    assert [d for f in frames for d in decide_frame(rds, f, rules)] == []
    wider = DecisionRules(window_frames=20, min_votes=5, cooldown_s=30.0, track_gap_s=100.0)
    assert (
        len([d for f in frames for d in decide_frame(rds, FrameResult(2, f.seq, f.captured_at, f.faces), wider)]) == 1
    )


def test_each_face_of_a_multi_face_frame_is_tracked_on_its_own(rds) -> None:
    frames = [frame(s, FaceVote(LEFT, "E1"), FaceVote(RIGHT, "E2")) for s in range(1, 8)]
    assert sorted(d.identity for d in run(rds, frames)) == ["E1", "E2"]


def test_a_stranger_beside_staff_is_decided_apart(rds) -> None:
    frames = [frame(s, FaceVote(LEFT, "E1"), FaceVote(RIGHT, None)) for s in range(1, 12)]
    assert sorted(d.identity or "stranger" for d in run(rds, frames)) == ["E1", "stranger"]
    assert len(run(rds, frames)) == 0  # retried frames change nothing


def test_a_stranger_whose_track_is_lost_and_found_is_announced_once(rds) -> None:
    rng = np.random.default_rng(11)
    face = _unit(rng.normal(size=512))

    def seen(seq: int) -> FrameResult:
        return frame(seq, FaceVote(LEFT, None, _unit(face + 0.05 * rng.normal(size=512))))

    first = run(rds, [seen(s) for s in range(1, 15)])
    # Gone for 5 s (the track ends), back within the cooldown: the same face, no second announcement.
    again = run(rds, [seen(s) for s in range(65, 80)])
    # Another stranger at the same moment is announced.
    other = _unit(rng.normal(size=512))
    newcomer = run(rds, [frame(s, FaceVote(RIGHT, None, other)) for s in range(80, 95)])
    assert len(first) == 1 and again == [] and len(newcomer) == 1


def test_a_decision_carries_its_face_box_and_the_tracks_mean_embeddings(rds) -> None:
    first, second = _unit(np.ones(512)), _unit(np.arange(128, dtype=np.float32) + 1)
    [decision] = run(rds, [frame(s, FaceVote(LEFT, "E1", first, second)) for s in range(1, 6)])
    assert decision.box == list(LEFT) or decision.box == LEFT
    np.testing.assert_allclose(decision.pooled_vector(), np.concatenate([first, second]), atol=1e-6)


def test_debounce_one_decision_per_person_per_cooldown(rds) -> None:
    first = run(rds, [frame(s, FaceVote(LEFT, "E1")) for s in range(1, 10)])
    # Gone for 5 s (a new track), back within the 30 s cooldown: no second decision.
    back_soon = run(rds, [frame(s, FaceVote(LEFT, "E1")) for s in range(60, 70)])
    # Back 40 s after the decision: a new one.
    back_later = run(rds, [frame(s, FaceVote(LEFT, "E1")) for s in range(400, 410)])
    assert len(first) == 1 and back_soon == [] and len(back_later) == 1


def test_a_person_standing_at_the_gate_is_decided_once(rds) -> None:
    assert len(run(rds, [frame(s, FaceVote(LEFT, "E1")) for s in range(1, 600)])) == 1


def test_retried_and_out_of_order_frames_never_decide_twice(rds) -> None:
    frames = [frame(s, FaceVote(LEFT, "E1")) for s in range(1, 5)]
    # Four frames, each delivered twice (a retried task): still four votes, no decision.
    assert run(rds, frames + frames) == []
    later = [frame(s, FaceVote(LEFT, "E1")) for s in range(5, 25)]
    shuffled = later + frames
    random.Random(7).shuffle(shuffled)
    assert len(run(rds, shuffled)) == 1
    # A frame older than the window (seq 1000 seen, so seq 5 is 995 frames late) adds nothing.
    run(rds, [frame(1000, FaceVote(LEFT, None))])
    assert run(rds, [frame(s, FaceVote(LEFT, "E1")) for s in range(900, 950, 10)]) == []


def _nearest_centroid(centroids: dict[str, np.ndarray], threshold: float):
    def classify(vector: np.ndarray, _second: np.ndarray | None) -> str | None:
        name, distance = min(((n, float(np.linalg.norm(vector - c))) for n, c in centroids.items()), key=lambda x: x[1])
        return name if distance <= threshold else None

    return classify


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_pooling_turns_a_consistently_mistaken_stranger_into_a_stranger(rds) -> None:
    rng = np.random.default_rng(3)
    staff_centroid, stranger_center = _unit(rng.normal(size=512)), _unit(rng.normal(size=512))
    classify = _nearest_centroid({"E1": staff_centroid}, threshold=0.9)
    # Each frame of the stranger lands near E1 by chance (the per-frame classifier said E1), but on average it is far:
    # no grant, and once the track has a stranger's worth of frames, a stranger.
    frames = [frame(s, FaceVote(LEFT, "E1", _unit(stranger_center + 0.3 * rng.normal(size=512)))) for s in range(1, 9)]
    assert run(rds, frames, pooled=classify) == []
    more = [frame(s, FaceVote(LEFT, "E1", _unit(stranger_center + 0.3 * rng.normal(size=512)))) for s in range(9, 12)]
    assert [(d.identity, d.seq) for d in run(rds, more, pooled=classify)] == [(None, 10)]
    # The real E1: every frame near the centroid, so the pooled embedding confirms the vote.
    frames = [
        frame(s, FaceVote(RIGHT, "E1", _unit(staff_centroid + 0.03 * rng.normal(size=512))), gate_id=2)
        for s in range(1, 9)
    ]
    assert [d.identity for d in run(rds, frames, pooled=classify)] == ["E1"]


def test_two_workers_racing_on_one_gate_decide_once(app, rds) -> None:
    frames = [frame(s, FaceVote(LEFT, "E1")) for s in range(1, 40)]
    results: list = []
    barrier = threading.Barrier(2)

    def worker(order: list[FrameResult]) -> None:
        client = get_redis(app.config["REDIS_URL"])
        barrier.wait()
        results.extend(d for f in order for d in decide_frame(client, f, RULES))

    # Both workers get every frame (as after a redelivery), in different orders.
    threads = [threading.Thread(target=worker, args=(order,)) for order in (frames, frames[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 1 and len(pending_decisions(rds, 1)) == 1


def test_decided_faces_are_those_continuing_a_decided_track(rds) -> None:
    assert decided_faces(rds, 1, [LEFT, RIGHT], 1000.1, RULES.track_gap_s) == [Decided(False), Decided(False)]
    run(rds, [frame(s, FaceVote(LEFT, "E1"), FaceVote(RIGHT, "E2" if s > 3 else None)) for s in range(1, 6)])
    # E1 (five votes) is decided at frame 5; E2 has two votes so far.
    assert decided_faces(rds, 1, [LEFT, RIGHT], 1000.6, RULES.track_gap_s) == [Decided(True, "E1"), Decided(False)]
    # Another gate, or after the track gap: nothing is decided.
    assert decided_faces(rds, 2, [LEFT], 1000.6, RULES.track_gap_s) == [Decided(False)]
    assert decided_faces(rds, 1, [LEFT, RIGHT], 1003.0, RULES.track_gap_s) == [Decided(False), Decided(False)]
    assert decided_faces(rds, 1, [], 1000.6, RULES.track_gap_s) == []


def test_a_lingering_stranger_kept_alive_by_non_voting_faces_is_announced_once(rds) -> None:
    # Ten stranger frames decide; then five seconds (more than the track gap) of faces that are only tracked.
    decided = run(rds, [frame(s, FaceVote(LEFT, None)) for s in range(1, 11)])
    lingering = run(rds, [frame(s, FaceVote(LEFT, None, voting=False)) for s in range(11, 61)])
    again = run(rds, [frame(s, FaceVote(LEFT, None)) for s in range(61, 75)])
    assert [(d.identity, d.seq) for d in decided] == [(None, 10)] and lingering == [] and again == []


def test_without_the_tracking_faces_the_same_stranger_would_be_announced_again(rds) -> None:
    # The control of the test above: the same frames with the lingering ones missing end the track.
    decided = run(rds, [frame(s, FaceVote(LEFT, None)) for s in range(1, 11)])
    again = run(rds, [frame(s, FaceVote(LEFT, None)) for s in range(61, 75)])
    assert len(decided) == 1 and len(again) == 1


def test_a_non_voting_face_never_decides(rds) -> None:
    assert run(rds, [frame(s, FaceVote(LEFT, "E1", voting=False)) for s in range(1, 40)]) == []
