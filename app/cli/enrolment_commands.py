"""`flask faces import|export|capture|preprocess|train`, `flask staff delete`: enrolment in-process, with a progress
bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy import select

from app.audit import cli_actor, record, snapshot, target_of
from app.cli.accounts import staff_cli
from app.cli.faces import faces_cli
from app.enrolment.photos import export_photos, import_dataset, import_photo_folder
from app.enrolment.service import forget_staff, run_capture, run_preprocess, run_train
from app.extensions import db
from app.jobs import create_job
from app.models import Job, Staff


def _staff(staff_id: str) -> Staff:
    staff = db.session.scalar(select(Staff).where(Staff.staff_id == staff_id))
    if staff is None:
        raise click.ClickException(f"No staff member with ID {staff_id!r}.")
    return staff


def _run_with_bar(kind: str, staff: Staff | None, run: Callable[[int, Callable[[Job], None]], Job]) -> None:
    """Run an enrolment job in this process with a terminal progress bar; fail the command if the job failed."""
    job = create_job(kind, staff.id if staff else None, "started from the command line")
    if kind == "train":
        record(cli_actor(), "model.train", target_of(job))
    with click.progressbar(length=100, label=kind, show_percent=True) as bar:
        def observe(current: Job) -> None:
            bar.update(current.progress - bar.pos)
            bar.label = current.message[:60]

        job = run(job.id, observe)
    click.echo(f"{kind}: {job.state}: {job.message}")
    if job.state != "succeeded":
        raise click.exceptions.Exit(1)


_folder = click.Path(exists=True, file_okay=False, path_type=Path)


@faces_cli.command("import")
@click.argument("staff_id", required=False)
@click.argument("folder", type=_folder, required=False)
@click.option("--dataset", type=_folder, help="An export (raw/<folder>/*.jpg): each folder to the person it names.")
def import_command(staff_id: str | None, folder: Path | None, dataset: Path | None) -> None:
    """Copy the photos in FOLDER in as photos of STAFF_ID (checked, re-encoded), or a whole --dataset export."""
    if dataset is not None and staff_id is None:
        results, unknown = import_dataset(dataset)
        for name in unknown:
            click.echo(f"skipped folder {name}: no staff member has it", err=True)
    elif dataset is None and staff_id is not None and folder is not None:
        results = {staff_id: import_photo_folder(_staff(staff_id), folder)}
    else:
        raise click.UsageError("give STAFF_ID FOLDER, or --dataset DIR alone")
    for sid, result in results.items():
        for name, reason in result.errors:
            click.echo(f"skipped {name}: {reason}", err=True)
        click.echo(f"{len(result.saved)} photos imported for {sid}, {len(result.errors)} skipped.")


@faces_cli.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_command(folder: Path) -> None:
    """Write every stored photo to FOLDER as raw/<person's folder>/<name>.jpg (what `import --dataset` reads)."""
    click.echo(f"{export_photos(folder)} photos exported to {folder}.")


@faces_cli.command("capture")
@click.argument("staff_id")
@click.option("--camera", "source", required=True, help="Device index, RTSP/HTTP URL or video file.")
def capture_command(staff_id: str, source: str) -> None:
    """Capture enrolment shots of STAFF_ID from a camera."""
    _run_with_bar("capture", _staff(staff_id), lambda job_id, observe: run_capture(job_id, source, observe=observe))


@faces_cli.command("preprocess")
@click.argument("staff_id", required=False)
@click.option("--redo", is_flag=True, help="Process already processed photos again.")
def preprocess_command(staff_id: str | None, redo: bool) -> None:
    """Detect, align, crop and embed new raw photos of STAFF_ID (of everyone when omitted)."""
    staff = _staff(staff_id) if staff_id else None
    _run_with_bar("preprocess", staff, lambda job_id, observe: run_preprocess(job_id, redo, observe=observe))


@faces_cli.command("train")
@click.option("--full", is_flag=True, help="Recompute every embedding instead of only the missing ones.")
def train_command(full: bool) -> None:
    """Train and publish a new model version from the preprocessed photos."""
    _run_with_bar("train", None, lambda job_id, observe: run_train(job_id, full=full, observe=observe))


@staff_cli.command("delete")
@click.argument("staff_id")
@click.confirmation_option(prompt="Delete this person with their photos, embeddings, avatar and log rows?")
def delete_staff_command(staff_id: str) -> None:
    """Delete a staff member entirely (right to be forgotten), then retrain without them."""
    staff = _staff(staff_id)
    target, before = target_of(staff), snapshot(staff)
    forget_staff(staff)
    record(cli_actor(), "delete", target, before=before)
    click.echo(f"Deleted {staff_id} with their photos, embeddings, avatar and log rows.")
    _run_with_bar("train", None, lambda job_id, observe: run_train(job_id, forget=True, observe=observe))
