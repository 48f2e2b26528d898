"""The demo's setup step: choosing people from a faces folder, and enrolling them and two gates, twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.access.policy import current_policy
from app.access.rules import PersonPass, check_access
from app.accounts import create_staff, gate_for_token
from app.enrolment.model_store import load_classifier, newest_version
from app.models import FaceImage, Gate, Log, ModelVersion, Staff, User
from app.recognition.configured import recognizer_from_config
from demo import faces as demo_faces
from demo.casting import cast_photos
from demo.faces import FacesError, choose_faces, find_faces_folder
from demo.plan import CLEARANCES, GATES, demo_people, expected_outcome, gate_video, plan_gates
from demo.site import DemoSetupError, set_up_site


def _link_folder(target: Path, photos: list[Path]) -> None:
    target.mkdir(parents=True)
    for photo in photos:
        (target / photo.name).symlink_to(photo)


@pytest.fixture()
def small_faces(faces_dir: Path, tmp_path: Path) -> Path:
    """One sub-folder per person: three people with 6, 6 and 5 photos, and two strangers (linked, not copied)."""
    root = tmp_path / "faces"
    people = sorted((faces_dir / "people").iterdir())[:3]
    for folder, count in zip(people, (6, 6, 5), strict=True):
        _link_folder(root / folder.name, sorted(folder.glob("*.jpg"))[:count])
    for folder in sorted((faces_dir / "strangers").iterdir())[:2]:
        _link_folder(root / folder.name, sorted(folder.glob("*.jpg"))[:1])
    return root


def test_the_three_people_with_most_photos_are_enrolled_and_the_rest_are_strangers(small_faces: Path) -> None:
    chosen = choose_faces(small_faces)
    assert [len(p.photos) for p in chosen.people] == [6, 6, 5]
    assert len(chosen.strangers) == 2 and all(len(s.photos) == 1 for s in chosen.strangers)
    # Two photos of each person are kept back for the cameras.
    assert [len(p.enrolment_photos) for p in chosen.people] == [4, 4, 3]
    assert all(len(p.camera_photos) == 2 for p in chosen.people)
    assert not set(chosen.people[0].enrolment_photos) & set(chosen.people[0].camera_photos)


def test_the_shared_layout_takes_strangers_from_strangers(faces_dir: Path) -> None:
    chosen = choose_faces(faces_dir)
    assert {p.photos[0].parent.parent.name for p in chosen.people} == {"people"}
    assert {s.photos[0].parent.parent.name for s in chosen.strangers} == {"strangers"}


def test_too_few_photos_is_a_clear_error(small_faces: Path) -> None:
    for photo in sorted(small_faces.glob("*/*.jpg"))[:8]:
        photo.unlink()
    with pytest.raises(FacesError, match="three people with at least 5 photos") as error:
        choose_faces(small_faces)
    assert "one sub-folder of photos per person" in str(error.value)


def test_no_photos_anywhere_explains_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_faces, "SHARED_FACES", tmp_path / "no-shared-faces")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn"))
    with pytest.raises(FacesError) as error:
        find_faces_folder(None, download=False, interactive=False)
    message = str(error.value)
    assert "FACEGATE_FACES_DIR=" in message and "--download-lfw" in message and "sub-folder" in message
    assert not (tmp_path / "sklearn" / "lfw_home").exists()  # nothing was downloaded


@pytest.mark.slow
def test_setup_enrols_people_and_gates_and_a_second_run_reuses_them(app, db, small_faces, tmp_path) -> None:
    chosen = choose_faces(small_faces)
    people = demo_people(chosen)
    videos = {name: gate_video(tmp_path / "videos", name) for name in GATES}
    said: list[str] = []

    password, access = set_up_site(people, videos, "admin", said.append)
    assert db.session.scalar(select(User).where(User.username == "admin")).check_password(password)
    gates = {gate.name: gate for gate in db.session.scalars(select(Gate))}
    assert set(gates) == set(GATES)
    assert all(gate_for_token(a.token) == gates[a.name] and gates[a.name].id == a.gate_id for a in access)
    assert {g.name: g.camera_source for g in gates.values()} == {name: str(path) for name, path in videos.items()}
    staff = {s.staff_id: s for s in db.session.scalars(select(Staff))}
    assert {sid: tuple(sorted(g.name for g in s.gates)) for sid, s in staff.items()} == {
        sid: tuple(sorted(names)) for sid, names in CLEARANCES.items()
    }
    counts = select(Staff.staff_id, func.count(FaceImage.id)).join(FaceImage).group_by(Staff.staff_id)
    photos = {staff_id: count for staff_id, count in db.session.execute(counts)}
    assert photos == {"S001": 4, "S002": 4, "S003": 3}
    versions = db.session.scalar(select(func.count(ModelVersion.id)))
    assert versions == 1 and any(line.startswith("train: model version") for line in said)

    # The cameras show photos the model gets right, and each gate grants, denies and meets a stranger.
    model = load_classifier(newest_version())
    cast = cast_photos(recognizer_from_config(app.config), model, people, chosen, len(GATES))
    planned = plan_gates(cast, tmp_path / "videos")
    for gate in planned:
        assert gate.video.stat().st_size > 0
        assert sorted(expected_outcome(p.staff_id, gate.name).split(" ")[0] for p in gate.passes) == [
            "denied", "granted", "granted", "stranger"
        ]  # fmt: skip
    # The front door denies S002 for the cleaning rota's schedule, the back door S003 for want of any rule.
    when = datetime.now(UTC)
    for staff_id, gate_name in (("S002", "Front door"), ("S003", "Back door")):
        person = PersonPass(staff[staff_id].id)
        verdict = check_access(current_policy(app.config["TIMEZONE"]), person, gates[gate_name].id, when)
        assert f"denied ({verdict.reason})" == expected_outcome(staff_id, gate_name)
        assert not {p.photo for p in gate.passes} & {ph for p in chosen.people for ph in p.enrolment_photos}

    said.clear()
    password_again, access_again = set_up_site(people, videos, "admin", said.append)
    assert password_again != password
    assert db.session.scalar(select(func.count(Staff.id))) == 3
    assert db.session.scalar(select(func.count(ModelVersion.id))) == 1
    assert any("up to date" in line for line in said)
    db.session.expire_all()
    assert [a.token for a in access_again] != [a.token for a in access]
    assert all(gate_for_token(a.token).id == a.gate_id for a in access_again)
    assert db.session.scalar(select(func.count(Log.id))) == 0


def test_a_demo_site_built_from_other_photos_is_refused(app, db, small_faces, tmp_path) -> None:
    people = demo_people(choose_faces(small_faces))
    create_staff(next(iter(people)), "Someone", "Else")
    videos = {name: gate_video(tmp_path, name) for name in GATES}
    with pytest.raises(DemoSetupError, match="--reset"):
        set_up_site(people, videos, "admin", lambda line: None)
    assert db.session.scalar(select(func.count(FaceImage.id))) == 0
