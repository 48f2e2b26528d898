"""`flask faces liveness-eval` and the error rates behind it, on a small real subset of ../shared/liveness (linked,
never copied: NUAA's live webcam frames and printed-photo attacks; no screen replay among them)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from flask import Flask

import app.cli.liveness_commands  # noqa: F401  (adds liveness-eval to `flask faces`)
from app.cli.faces import faces_cli
from app.recognition.liveness_eval import FrameScore, error_rates, pooled_samples, threshold_at_bpcer

SUBSET = {("live", "0002"): 8, ("live", "0009"): 8, ("print", "0002"): 8, ("print", "0009"): 8}


@pytest.fixture()
def subset(tmp_path: Path, liveness_dir: Path) -> Path:
    """live/ and print/ of two subjects, the first 8 frames of one session each, as links in a temporary folder."""
    root = tmp_path / "frames"
    for (kind, subject), count in SUBSET.items():
        session = sorted((liveness_dir / kind / subject).iterdir())[0]
        target = root / kind / subject / session.name
        target.mkdir(parents=True)
        for frame in sorted(session.glob("*.jpg"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))[:count]:
            (target / frame.name).symlink_to(frame)
    (root / "live" / "unreadable.jpg").write_bytes(b"not a jpeg")
    return root


@pytest.fixture()
def cli_app(tmp_path: Path) -> Flask:
    app = Flask("facegate-test")
    app.config.update(
        DETECTOR="opencv", EMBEDDER="opencv", SECOND_EMBEDDER="none", MIN_FACE_PX=40, MODEL_DIR=tmp_path / "models",
        LIVENESS_THRESHOLD=0.1, LIVENESS_FRAMES=5,
    )  # fmt: skip
    app.cli.add_command(faces_cli)
    return app


@pytest.mark.slow
def test_liveness_eval_reports_the_error_rates_as_json(cli_app: Flask, subset: Path) -> None:
    result = cli_app.test_cli_runner().invoke(args=["faces", "liveness-eval", str(subset), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["live_frames"] == 16 and report["attack_frames"] == 16 and report["no_face"] == 0
    assert report["attack_kinds"] == ["print"] and report["not_tested"] == ["replay"]
    # These two subjects' live faces score high and their printed photos low: nothing is wrong at 0.1.
    assert report["bpcer"] == 0.0 and report["apcer"] == 0.0 and report["worst_subject_apcer"] == 0.0
    assert report["apcer_at_bpcer_1pct"] == 0.0 and report["apcer_at_bpcer_5pct"] == 0.0
    assert 0 < report["ms_per_face"] < 1000 and 0 < report["cpu_ms_per_face"] < 1000
    # Tracks of 5 consecutive frames: 4 per clip of 8.
    assert report["pooled"]["live"] == 8 and report["pooled"]["attacks"] == 8
    # Each half's threshold is chosen on its own live frames and measured on the other subject.
    assert [(half["chosen_on"], half["measured_on"]) for half in report["held_out"]] == [
        (["0002"], ["0009"]),
        (["0009"], ["0002"]),
    ]
    assert report["errors"] and "unreadable.jpg" in report["errors"][0]


def test_liveness_eval_needs_live_and_attack_folders(cli_app: Flask, tmp_path: Path) -> None:
    (tmp_path / "live").mkdir()
    result = cli_app.test_cli_runner().invoke(args=["faces", "liveness-eval", str(tmp_path)])
    assert result.exit_code != 0 and "needs images under live/ and under print/ or replay/" in result.output


def test_the_threshold_is_chosen_on_live_scores_alone_and_the_rates_follow_it() -> None:
    live = np.linspace(0.01, 1.0, 100)
    assert threshold_at_bpcer(live, 0.01) == pytest.approx(0.02)  # rejects exactly one of the 100
    frames = [FrameScore("live", "a", "live/a/1", str(i), float(s)) for i, s in enumerate(live)]
    frames += [FrameScore("print", "a", "print/a/1", "p", 0.5), FrameScore("print", "b", "print/b/1", "q", 0.0)]
    rates = error_rates(frames, 0.02)
    assert rates["bpcer"] == 0.01 and rates["apcer"] == 0.5
    assert rates["worst_subject"] == "a" and rates["worst_subject_apcer"] == 1.0
    pooled = pooled_samples(frames[:10], 5)
    assert len(pooled) == 6 and pooled[0].score == pytest.approx(np.mean(live[:5]))
