"""The faces seen at each gate that the workers keep for camera_ingest's pacing, on the real Redis."""

from __future__ import annotations

import random
import threading

from app.gates.faces_seen import FACES_SEEN_TTL_S, FacesSeen, faces_seen_key, read_faces_seen, record_faces


def test_the_times_only_move_forward_whatever_order_the_frames_finish_in(rds) -> None:
    assert read_faces_seen(rds, 4) == FacesSeen(None, None)
    record_faces(rds, 4, 1005.0, faces=1, undecided=1)
    record_faces(rds, 4, 1003.0, faces=2, undecided=1)  # an older frame finishing late changes nothing
    assert read_faces_seen(rds, 4) == FacesSeen(1005.0, 1005.0)
    record_faces(rds, 4, 1007.5, faces=1, undecided=0)  # a decided face only: faces_at moves, undecided_at stays
    record_faces(rds, 4, 1006.25, faces=1, undecided=1)
    record_faces(rds, 4, 1009.0, faces=0, undecided=0)  # nobody in view: nothing to note
    assert read_faces_seen(rds, 4) == FacesSeen(1007.5, 1006.25)
    assert 0 < rds.ttl(faces_seen_key(4)) <= FACES_SEEN_TTL_S
    assert read_faces_seen(rds, 5) == FacesSeen(None, None)  # per gate


def test_concurrent_workers_leave_the_newest_times(rds) -> None:
    frames = [(1000.0 + i / 10, i % 3 != 0) for i in range(200)]
    random.Random(7).shuffle(frames)

    def worker(part: list[tuple[float, bool]]) -> None:
        for captured_at, undecided in part:
            record_faces(rds, 9, captured_at, faces=1, undecided=int(undecided))

    threads = [threading.Thread(target=worker, args=(frames[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Frame 199 (19.9 s) is the newest with a face, 199 % 3 != 0 so it is undecided too.
    assert read_faces_seen(rds, 9) == FacesSeen(1019.9, 1019.9)
