"""The JSON-lines event file: one writer follows every gate's events, one line per event exactly once (across
restarts), a new file per day and once a file reaches its size limit; old files and forgotten people's lines go."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from app.enrolment.forgetting import forget_in_event_files
from app.gates.event_file import CURSOR_FILE, EventFileWriter, append_event_line, event_file_path
from app.gates.stream import Event, publish_event


def test_events_are_appended_as_json_lines_and_roll_over_by_size(tmp_path) -> None:
    first = append_event_line(tmp_path, {"id": "a", "type": "granted"}, max_bytes=60)
    second = append_event_line(tmp_path, {"id": "b", "type": "stranger"}, max_bytes=60)
    assert first == second
    third = append_event_line(tmp_path, {"id": "c", "type": "denied"}, max_bytes=60)
    assert third != first and third.name.endswith("-1.jsonl")
    lines = [json.loads(line) for path in (first, third) for line in path.read_text().splitlines()]
    assert [event["id"] for event in lines] == ["a", "b", "c"]


def test_each_day_has_its_own_file(tmp_path) -> None:
    monday = event_file_path(tmp_path, 1000, datetime(2026, 3, 2, 23, 59, tzinfo=UTC))
    tuesday = event_file_path(tmp_path, 1000, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    assert monday.name == "events-2026-03-02.jsonl" and tuesday.name == "events-2026-03-03.jsonl"


def _publish(rds, number: int, staff_id: str | None = "E1") -> None:
    event = Event(f"ev{number}", "granted" if staff_id else "stranger", 1 + number % 2, staff_id, None, None, None,
                  "2026-11-30T08:00:00+00:00", False)  # fmt: skip
    publish_event(rds, event, 1000)


def _lines(directory) -> list[dict]:
    return [json.loads(line) for path in sorted(directory.glob("events-*.jsonl")) for line in path.open()]


def test_one_writer_writes_every_gates_events_once_across_restarts(rds, tmp_path) -> None:
    for number in range(3):
        _publish(rds, number)
    writer = EventFileWriter(rds, tmp_path, max_bytes=10_000)
    assert writer.write_new() == 3 and writer.write_new() == 0
    _publish(rds, 3)
    # A writer that died after appending a line but before saving its cursor...
    saved = (tmp_path / CURSOR_FILE).read_text()
    assert EventFileWriter(rds, tmp_path, max_bytes=10_000).write_new() == 1
    (tmp_path / CURSOR_FILE).write_text(saved)
    # ...is followed by one that carries on after that line, not before it.
    restarted = EventFileWriter(rds, tmp_path, max_bytes=10_000)
    _publish(rds, 4)
    assert restarted.write_new() == 1
    assert [line["id"] for line in _lines(tmp_path)] == [f"ev{n}" for n in range(5)]
    assert {line["gate_id"] for line in _lines(tmp_path)} == {1, 2}


def test_the_writer_deletes_old_days_and_scrubs_forgotten_people(rds, tmp_path) -> None:
    for name in ("events-2026-08-29.jsonl", "events-2026-08-29-1.jsonl", "events-2026-08-30.jsonl", "notes.txt"):
        (tmp_path / name).write_text('{"id": "old", "staff_id": "E9"}\n')
    _publish(rds, 0, "E1")
    _publish(rds, 1, None)
    _publish(rds, 2, "E2")
    writer = EventFileWriter(rds, tmp_path, max_bytes=10_000)
    writer.write_new()
    assert writer.purge_before(date(2026, 8, 30)) == 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("events-2026-08")) == [
        "events-2026-08-30.jsonl"
    ]
    forget_in_event_files(rds, ["E1", "E9"])
    assert writer.scrub_forgotten() == 2 and writer.scrub_forgotten() == 0
    assert [line.get("staff_id") for line in _lines(tmp_path)] == [None, "E2"]
    assert (tmp_path / "notes.txt").exists()
