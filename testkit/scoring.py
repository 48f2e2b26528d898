"""Scoring a run against its scenes' ground truth: which gate events and log rows each pass should have produced,
and what arrived (latency, lost, duplicated, wrong, strangers granted).

score_run scores one gate's events (bench.e2e, tests); score_soak scores every gate's events, log rows and event
file of a run with faults (bench.soak).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from app.models import Log, Staff
from testkit.scenes import Pass


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) of values, or None when there are none."""
    return float(np.percentile(values, q)) if values else None


def datetime_seconds(iso: str) -> float:
    """Unix seconds of an ISO 8601 timestamp."""
    return datetime.fromisoformat(iso).timestamp()


def pass_index(passes: list[Pass], t0: float, when: float) -> int | None:
    """The pass a moment belongs to: the latest that started at or before it (None before the first)."""
    starts = [t0 + walk.start_s for walk in passes]
    index = int(np.searchsorted(starts, when, side="right")) - 1
    return None if index < 0 else index


def score_run(passes: list[Pass], playback_t0: float, received: list[tuple[float, dict]]) -> dict:
    """Match the events received to the passes (by the deciding frame's time) and count what went right and wrong."""
    by_pass: dict[int, list[tuple[float, dict]]] = {i: [] for i in range(len(passes))}
    ids = [event["id"] for _at, event in received]
    spurious = 0
    for arrived, event in received:
        index = pass_index(passes, playback_t0, datetime_seconds(event["timestamp"]))
        if index is None:
            spurious += 1
        else:
            by_pass[index].append((arrived, event))
    latencies, lost, duplicated, wrong, stranger_granted, other_faces = [], 0, len(ids) - len(set(ids)), spurious, 0, 0
    staff_as_stranger = 0
    mistakes = []
    for index, walk in enumerate(passes):
        events = by_pass[index]
        expected = ("granted", walk.staff_id) if walk.staff_id else ("stranger", None)
        outcomes = [(e["type"], e["staff_id"]) for _a, e in events]
        if outcomes != [expected]:
            got = [
                (*outcome, round(datetime_seconds(e["timestamp"]) - playback_t0, 2))
                for outcome, (_a, e) in zip(outcomes, events, strict=True)
            ]
            mistakes.append({"pass": index, "photo": walk.photo.name, "start_s": walk.start_s, "got": got})
        if walk.staff_id is None and any(kind == "granted" for kind, _staff in outcomes):
            stranger_granted += 1
        # A member of staff turned away as a stranger (a stranger event beside their grant is another face).
        if walk.staff_id is not None and ("stranger", None) in outcomes and expected not in outcomes:
            staff_as_stranger += 1
        if not events:
            lost += 1
            continue
        matching = [arrived for (arrived, _e), outcome in zip(events, outcomes, strict=True) if outcome == expected]
        duplicated += max(0, len(matching) - 1)
        if not matching:
            wrong += 1
            continue
        # Other people in the same photo (LFW photos show some) are tracked and decided on their own.
        other_faces += len(events) - len(matching)
        latencies.append(matching[0] - (playback_t0 + walk.start_s))
    return {
        "passes": len(passes),
        "events": len(received),
        "latencies": latencies,
        "events_lost": lost,
        "events_duplicated": duplicated,
        "wrong_decisions": wrong,
        "stranger_passes": sum(1 for p in passes if p.staff_id is None),
        "stranger_granted": stranger_granted,
        "staff_as_stranger": staff_as_stranger,
        "other_face_events": other_faces,
        "mistakes": mistakes,
    }


def overlaps(walk: Pass, t0: float, windows: list[tuple[float, float]]) -> bool:
    """Whether the pass was in view during any of the (start, end) windows (e.g. from a fault until recovery)."""
    start, end = t0 + walk.start_s, t0 + walk.end_s
    return any(start < w_end and w_start < end for w_start, w_end in windows)


def read_rows(database_url: str) -> list[dict]:
    """Every log row with its gate, person, direction, time and decision id."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    query = sa.select(Log.gate_id, Staff.staff_id, Log.status, Log.timestamp, Log.decision_id).join(Staff)
    with engine.connect() as conn:
        rows = [row._asdict() for row in conn.execute(query.order_by(Log.timestamp, Log.id))]
    engine.dispose()
    return rows


def direction_errors(rows: list[dict]) -> int:
    """Rows whose direction is not the opposite of the same person's previous row (the first must be 'in')."""
    errors, last = 0, {}
    for row in rows:
        expected = "out" if last.get(row["staff_id"]) == "in" else "in"
        errors += row["status"] != expected
        last[row["staff_id"]] = row["status"]
    return errors


def event_file_ids(events_dir: Path) -> Counter:
    """How many times each event id appears in the JSON-lines event files."""
    ids: Counter = Counter()
    for path in events_dir.glob("events-*.jsonl"):
        ids.update(json.loads(line)["id"] for line in path.read_text().splitlines() if line.strip())
    return ids


def score_soak(
    passes: dict[int, list[Pass]],
    received: dict[int, list[tuple[float, dict]]],
    t0: float,
    disturbed: list[tuple[float, float]],
    rows: list[dict],
    file_ids: Counter,
) -> dict:
    """Compare every gate's events (received per gate id), the log rows and the event file with the passes: made,
    missed (apart from those during a disturbed window), lost, duplicated, wrong; latency."""
    events = {event["id"]: event for got in received.values() for _at, event in got}
    row_ids = Counter(row["decision_id"] for row in rows)
    totals = Counter()
    latencies, mistakes = [], []
    for gate_id, walks in passes.items():
        scored = score_run(walks, t0, received[gate_id])
        latencies += scored["latencies"]
        totals.update({key: scored[key] for key in ("events_duplicated", "wrong_decisions", "stranger_granted")})
        for mistake in scored["mistakes"]:
            walk = walks[mistake["pass"]]
            during_fault = overlaps(walk, t0, disturbed)
            mistakes.append(mistake | {"gate": gate_id, "expected": walk.staff_id or "stranger", "fault": during_fault})
            if not mistake["got"]:
                totals["missed_during_faults" if during_fault else "decisions_missed"] += 1
        totals["decisions_expected"] += len(walks)
        totals["rows_expected"] += sum(1 for walk in walks if walk.staff_id)
        per_pass = Counter(
            pass_index(walks, t0, row["timestamp"].timestamp()) for row in rows if row["gate_id"] == gate_id
        )
        totals["rows_duplicated"] += sum(count - 1 for index, count in per_pass.items() if index is not None)
        totals["rows_outside_passes"] += per_pass.get(None, 0)
    granted = [event for event in events.values() if event["type"] == "granted"]
    return {
        "decisions_expected": totals["decisions_expected"],
        "decisions_made": len(events),
        "decisions_missed": totals["decisions_missed"],
        "missed_during_faults": totals["missed_during_faults"],
        "events_duplicated": totals["events_duplicated"]
        + sum(len(got) - len({e["id"] for _a, e in got}) for got in received.values()),
        "rows_expected": totals["rows_expected"],
        "rows_written": len(rows),
        "rows_lost": sum(1 for event in granted if event["id"] not in row_ids),
        "rows_duplicated": totals["rows_duplicated"] + totals["rows_outside_passes"],
        "rows_without_event": sum(1 for decision_id in row_ids if decision_id not in events),
        "direction_errors": direction_errors(rows),
        "event_file_missing": sum(1 for event_id in events if event_id not in file_ids),
        "event_file_duplicated": sum(count - 1 for count in file_ids.values()),
        "wrong_decisions": totals["wrong_decisions"],
        "stranger_granted": totals["stranger_granted"],
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "mistakes": mistakes,
    }
