"""`flask faces liveness-eval`: the liveness score's presentation-attack error rates on a folder of frames."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app

from app.cli.faces import faces_cli
from app.recognition.configured import recognizer_from_config
from app.recognition.liveness_eval import evaluate_liveness, score_folder


@faces_cli.command("liveness-eval")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    help="Accept faces scoring at least this (default: the configured FACEGATE_LIVENESS_THRESHOLD).",
)
@click.option(
    "--frames",
    "k",
    type=click.IntRange(min=1),
    help="Frames a simulated track pools (default: the configured FACEGATE_LIVENESS_FRAMES).",
)
@click.option(
    "--target-bpcer",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=0.01,
    show_default=True,
    help="The live-rejection rate the held-out check chooses its thresholds for.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def liveness_eval_command(folder: Path, threshold: float | None, k: int | None, target_bpcer: float,
                          as_json: bool) -> None:  # fmt: skip
    """Score every image under FOLDER/live and FOLDER/print (and FOLDER/replay): live frames rejected (BPCER),
    attack frames accepted (APCER), per frame and pooled over tracks of K consecutive frames of a clip."""
    config = current_app.config
    threshold = config["LIVENESS_THRESHOLD"] if threshold is None else threshold
    k = config["LIVENESS_FRAMES"] if k is None else k
    recognizer = recognizer_from_config(config)
    try:
        if as_json:
            frames, errors, ms_per_face = score_folder(recognizer, folder)
        else:
            with click.progressbar(length=1, label="Scoring frames") as bar:

                def progress(done: int, total: int) -> None:
                    bar.length = total
                    bar.update(done - bar.pos)

                frames, errors, ms_per_face = score_folder(recognizer, folder, progress)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    report = {**evaluate_liveness(frames, threshold, k, target_bpcer, ms_per_face), "errors": errors}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for key in (
        "threshold",
        "k",
        "live_frames",
        "attack_frames",
        "attack_kinds",
        "no_face",
        "bpcer",
        "apcer",
        "apcer_at_bpcer_1pct",
        "apcer_at_bpcer_5pct",
        "worst_subject_apcer",
        "ms_per_face",
        "cpu_ms_per_face",
        "not_tested",
    ):
        click.echo(f"{key:24s} {report[key]}")
    pooled = report["pooled"]
    click.echo(f"pooled over {k} frames: bpcer {pooled['bpcer']}, apcer {pooled['apcer']} "
               f"({pooled['live']} live, {pooled['attacks']} attack tracks)")  # fmt: skip
    for half in report["held_out"]:
        click.echo(f"threshold {half['threshold']} chosen on live frames of {','.join(half['chosen_on'])}; on "
                   f"{','.join(half['measured_on'])}: bpcer {half['frames']['bpcer']}, apcer {half['frames']['apcer']}"
                   f" (pooled: {half['pooled']['bpcer']}, {half['pooled']['apcer']})")  # fmt: skip
    for error in errors:
        click.echo(f"error: {error}", err=True)
