"""The demo's site, set up idempotently in an app context: admin, gates, three enrolled people, the cleaning crew's
schedule and rule, a trained model.

A second run reuses what the first created: the people and their photos stay, the gates get the new videos and
new tokens, and training runs again only when new photos were processed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.accounts import create_admin, create_gate, create_staff, set_password
from app.enrolment.model_store import newest_version
from app.enrolment.photos import add_uploaded_photos
from app.enrolment.service import run_preprocess, run_train
from app.extensions import db
from app.jobs import create_job
from app.models import AccessRule, FaceImage, Gate, Group, Job, Schedule, ScheduleWindow, Staff, User
from app.sitetime import site_zone
from demo.doors import HELD_OPEN_LIMIT_S, PROPPED_GATE
from demo.faces import Person
from demo.plan import CLEANING_CREW, CLEANING_GATE, CLEANING_GROUP, CLEANING_SCHEDULE, CLEARANCES

Say = Callable[[str], None]


class DemoSetupError(RuntimeError):
    """The demo site cannot be set up as planned (e.g. it was built from other photos); the message says why."""


@dataclass(frozen=True)
class GateAccess:
    """What a gate client needs: the gate's id, name and (new) API token."""

    gate_id: int
    name: str
    token: str


def ensure_admin(username: str) -> str:
    """Create the admin, or give the existing one a new password; the password."""
    password = secrets.token_urlsafe(12)
    if db.session.scalar(select(User).where(User.username == username)) is None:
        create_admin(username, password)
    else:
        set_password(username, password)
    return password


def ensure_gates(videos: dict[str, Path]) -> list[GateAccess]:
    """Create each gate (active, voice on, liveness warn) or point the existing one at its video; each with a new
    token. The demo's cameras show photos composited on a background, in effect photo attacks: warn lets the doors
    work as they would for live people and marks each such decision "not live" (docs/liveness.md)."""
    access = []
    for name, video in videos.items():
        gate = db.session.scalar(select(Gate).where(Gate.name == name))
        if gate is None:
            gate, token = create_gate(name, str(video), liveness="warn")
        else:
            gate.camera_source, gate.active, gate.voice_enabled, gate.liveness = str(video), True, True, "warn"
            token = gate.rotate_token()
        if name == PROPPED_GATE:
            gate.held_open_limit_s = HELD_OPEN_LIMIT_S
        gate.lockdown, gate.hold_open_until = False, None
        db.session.commit()
        access.append(GateAccess(gate.id, gate.name, token))
    return access


def ensure_person(staff_id: str, person: Person) -> tuple[Staff, bool]:
    """The staff member for person (created, cleared as CLEARANCES says, photos imported when they have none);
    whether photos were imported. DemoSetupError when staff_id belongs to someone else."""
    staff = db.session.scalar(select(Staff).where(Staff.staff_id == staff_id))
    if staff is None:
        staff, _password = create_staff(staff_id, person.first_name, person.last_name)
    elif (staff.first_name, staff.last_name) != (person.first_name, person.last_name):
        raise DemoSetupError(
            f"the demo instance has {staff_id} = {staff.full_name}, but the photos now say {person.name}; "
            "start afresh with `make demo DEMO_ARGS=--reset`"
        )
    staff.gates = list(db.session.scalars(select(Gate).where(Gate.name.in_(CLEARANCES[staff_id]))))
    db.session.commit()
    has_photos = db.session.scalar(select(FaceImage.id).where(FaceImage.staff_id == staff.id).limit(1))
    if has_photos is not None:
        return staff, False
    result = add_uploaded_photos(staff, ((p.name, p.read_bytes()) for p in person.enrolment_photos))
    if not result.saved:
        reasons = "; ".join(f"{name}: {why}" for name, why in result.errors) or "no photos"
        raise DemoSetupError(f"no usable photo of {person.name}: {reasons}")
    return staff, True


def ensure_cleaning_rule() -> str:
    """The cleaning crew's group, its rota (one hour, three days from today in the site's zone, so closed now) and
    its rule for the front door, created or brought up to date; the rota as text."""
    crew = list(db.session.scalars(select(Staff).where(Staff.staff_id.in_(CLEANING_CREW))))
    gates = list(db.session.scalars(select(Gate).where(Gate.name == CLEANING_GATE)))
    group = db.session.scalar(select(Group).where(Group.name == CLEANING_GROUP)) or Group(name=CLEANING_GROUP)
    schedule = db.session.scalar(select(Schedule).where(Schedule.name == CLEANING_SCHEDULE))
    schedule = schedule or Schedule(name=CLEANING_SCHEDULE)
    rule = db.session.scalar(select(AccessRule).where(AccessRule.name == f"{CLEANING_GROUP} at the front door"))
    rule = rule or AccessRule(name=f"{CLEANING_GROUP} at the front door")
    weekday = (datetime.now(site_zone()) + timedelta(days=3)).weekday()
    group.members = crew
    schedule.windows = [ScheduleWindow(weekday=weekday, start_minute=5 * 60, end_minute=6 * 60)]
    rule.group, rule.schedule, rule.gates = group, schedule, gates
    db.session.add_all([group, schedule, rule])
    db.session.commit()
    return f"{CLEANING_GROUP} ({', '.join(CLEANING_CREW)}) may pass the {CLEANING_GATE.lower()} {schedule.windows[0]}"


def _run(kind: str, run: Callable[[int], Job], say: Say) -> Job:
    job = run(create_job(kind, message="started by the demo").id)
    if job.state != "succeeded":
        raise DemoSetupError(f"{kind} failed: {job.message}")
    say(f"{kind}: {job.message}")
    return job


def train_if_needed(say: Say) -> None:
    """Preprocess photos not yet processed (detect, align, embed), then train when they were new or no model exists."""
    unprocessed = db.session.scalar(select(func.count(FaceImage.id)).where(FaceImage.processed_at.is_(None)))
    if unprocessed:
        say(f"preprocessing {unprocessed} photos (first the face detector and FaceNet load: a few seconds)")
        _run("preprocess", lambda job_id: run_preprocess(job_id), say)
    elif (version := newest_version()) is not None:
        say(f"model version {version} is up to date")
        return
    _run("train", lambda job_id: run_train(job_id), say)


def set_up_site(
    people: dict[str, Person], videos: dict[str, Path], admin: str, say: Say
) -> tuple[str, list[GateAccess]]:
    """Admin, gates (camera: videos[name]), the people (cleared for their gates) and a trained model; the admin
    password and the gates' access."""
    password = ensure_admin(admin)
    access = ensure_gates(videos)
    for staff_id, person in people.items():
        staff, new_photos = ensure_person(staff_id, person)
        cleared = ", ".join(gate.name for gate in staff.gates)
        say(f"{staff_id} {staff.full_name}: cleared for {cleared}" + (" (photos imported)" if new_photos else ""))
    say(ensure_cleaning_rule())
    train_if_needed(say)
    return password, access
