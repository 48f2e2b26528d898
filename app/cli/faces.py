"""`flask faces`: evaluate the recognition pipeline on photo folders, identify faces, verify LFW pairs."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.enrolment.model_store import model_watcher
from app.extensions import db
from app.models import Staff
from app.recognition.cohort import CohortError, build_cohort, save_cohort
from app.recognition.configured import cohort_from_config, recognizer_from_config
from app.recognition.evaluate import FACE_RULE, evaluate
from app.recognition.images import ImageError, read_image
from app.recognition.pairs import verify_pairs

faces_cli = AppGroup("faces", help="Evaluate and try out face recognition.")

_existing_dir = click.Path(exists=True, file_okay=False, path_type=Path)


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        if key != "errors":
            click.echo(f"{key:28s} {value}")
    for error in result.get("errors", []):
        click.echo(f"error: {error}", err=True)


@faces_cli.command("evaluate")
@click.argument("people_dir", type=_existing_dir)
@click.option("--strangers", "strangers_dir", type=_existing_dir, help="Folder of never-enrolled people.")
@click.option("--enroll", type=click.IntRange(min=1), default=10, show_default=True, help="Photos enrolled per person.")
@click.option("--people", type=click.IntRange(min=1), help="Random galleries of this many people (default: all).")
@click.option("--draws", type=click.IntRange(min=1), default=1, show_default=True, help="Random galleries to draw.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random galleries.")
@click.option(
    "--site-strangers", "site_dir", type=_existing_dir,
    help="Faces the site's gates already saw as strangers: calibration only, never evaluated.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def evaluate_command(
    people_dir: Path, strangers_dir: Path | None, enroll: int, people: int | None, draws: int, seed: int,
    site_dir: Path | None, as_json: bool,
) -> None:  # fmt: skip
    """Enrol the first N photos of each person (of the first session, when a person's folder has session
    sub-folders) into a temporary model, identify the rest (the other sessions) and the strangers."""
    if people is None and draws > 1:
        raise click.UsageError("--draws needs --people (without it every draw would be the same gallery)")
    if not as_json:
        click.echo(f"Enrolling the {FACE_RULE} of the first {enroll} photos per person; this takes a while...")
    recognizer = recognizer_from_config(current_app.config)
    try:
        result = evaluate(
            recognizer, people_dir, strangers_dir, enroll, _cohort(), people, draws, seed, site_dir
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _print(result, as_json)


def _cohort():
    try:
        return cohort_from_config(current_app.config)
    except CohortError as exc:
        raise click.ClickException(str(exc)) from None


@faces_cli.command("build-cohort")
@click.argument("folder", type=_existing_dir)
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The cohort file to write (point FACEGATE_COHORT_FILE at it to use it).")
@click.option("--source", default="", help="Where the photos came from, recorded in the file.")
def build_cohort_command(folder: Path, out_file: Path, source: str) -> None:
    """Embed every image under FOLDER (one sub-folder per person) into a background cohort file."""
    recognizer = recognizer_from_config(current_app.config)
    with click.progressbar(length=1, label="Embedding cohort faces") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            cohort, counts = build_cohort(recognizer, folder, progress)
        except CohortError as exc:
            raise click.ClickException(str(exc)) from None
    meta = {"embedding": recognizer.embedding_name, "detector": recognizer.detector, "face_rule": FACE_RULE,
            "source": source or str(folder), "people": len(set(cohort.groups.tolist())), **counts}  # fmt: skip
    save_cohort(out_file, cohort, meta)
    click.echo(f"wrote {out_file}: {counts['faces']} faces of {meta['people']} people "
               f"({counts['no_face']} images without a usable face, {len(counts['errors'])} unreadable)")  # fmt: skip
    for error in counts["errors"]:
        click.echo(f"error: {error}", err=True)


@faces_cli.command("verify-pairs")
@click.argument("pairs_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("image_root", type=_existing_dir)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def verify_pairs_command(pairs_file: Path, image_root: Path, as_json: bool) -> None:
    """LFW-protocol pair verification (10 folds, each fold's threshold chosen on the others)."""
    _print(verify_pairs(recognizer_from_config(current_app.config), pairs_file, image_root), as_json)


@faces_cli.command("identify")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def identify_command(image: Path, as_json: bool) -> None:
    """Each face in IMAGE with its verdict (staff ID and score, or stranger), using the live model."""
    try:
        rgb = read_image(image)
    except ImageError as exc:
        raise click.ClickException(f"{image}: {exc}") from None
    watcher = model_watcher(current_app.config["MODEL_CHECK_S"])
    model = watcher.current()
    if model is None:
        raise click.ClickException("no recognition model has been trained yet (the model store is empty)")
    faces = []
    for result in recognizer_from_config(current_app.config).identify(rgb, model):
        verdict = result.verdict
        faces.append(
            {
                "box": [round(v) for v in result.face.box],
                "staff_id": verdict.label if verdict else None,
                "name": _staff_name(verdict.label) if verdict and verdict.label else None,
                "score": round(verdict.score, 4) if verdict else None,
                "stranger": verdict is not None and verdict.label is None,
                "reason": result.rejection or (verdict.reason if verdict else None),
            }
        )
    result = {"image": str(image), "model_version": watcher.version, "faces": faces, "no_face": not faces}
    if as_json:
        click.echo(json.dumps(result, indent=2))
    elif not faces:
        click.echo("no face found")
    else:
        for face in faces:
            who = (
                f"staff {face['staff_id']} {face['name'] or ''} (score {face['score']})"
                if face["staff_id"]
                else ("stranger" if face["stranger"] else "rejected")
            )
            click.echo(f"face at {face['box']}: {who} - {face['reason']}")


def _staff_name(label: str) -> str | None:
    """The staff member's name for a classifier label (a staff ID), if the database knows it."""
    staff = db.session.scalar(select(Staff).where(Staff.staff_id == label))
    return staff.full_name if staff else None
