"""The JSON-lines event file: one line per event, a new file per day and once a file reaches its size limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from app.gates.event_file import append_event_line, event_file_path


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
