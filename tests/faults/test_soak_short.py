"""The fault-injection soak, about a minute long, with real processes and its own Redis and MariaDB servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_no_row_is_lost_or_written_twice_through_a_worker_kill_and_redis_mariadb_ingest_restarts(
    repo_root, faces_dir, tmp_path
) -> None:
    env = {**os.environ, "FACEGATE_FACES_DIR": str(faces_dir)}
    args = [sys.executable, "-m", "bench.soak", "--minutes", "1", "--json", "--enroll", "6", "--logs", str(tmp_path)]
    done = subprocess.run(args, cwd=repo_root, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [fault["fault"] for fault in result["faults"]] == ["worker", "redis", "mariadb", "ingest"]
    # Every fault was recovered from (the soak gives up on a gate after 90 s and reports None).
    assert all(fault["recovery_s"] is not None for fault in result["faults"]), result["faults"]
    assert result["drained"] and result["decisions_made"] > 0 and result["metrics_samples"] > 50
    for key in (
        "rows_lost",
        "rows_duplicated",
        "rows_without_event",
        "events_duplicated",
        "event_file_missing",
        "event_file_duplicated",
        "direction_errors",
    ):
        assert result[key] == 0, (key, result)
