"""The admin enrolment pages: upload with per-file reasons, counts, queued jobs with progress, cancel."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from app.models import FaceImage, Job


def test_upload_stores_good_photos_and_names_each_refused_file(admin_client, people, db, faces_dir, csrf_token) -> None:
    page = admin_client.get(f"/admin/enrolment/{people.alice.id}")
    assert page.status_code == 200 and "not in the live model" in page.get_data(as_text=True)
    photo = next((faces_dir / "people").glob("*/*.jpg")).read_bytes()
    response = admin_client.post(
        f"/admin/enrolment/{people.alice.id}/upload",
        data={
            "csrf_token": csrf_token(admin_client),
            "photos": [(io.BytesIO(photo), "me.jpg"), (io.BytesIO(b"<svg><script/></svg>"), "../x.svg")],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "1 photos added for Alice Archer" in text and "../x.svg: not an image file" in text
    images = db.session.scalars(sa.select(FaceImage)).all()
    assert [i.staff_id for i in images] == [people.alice.id]
    assert re.fullmatch(rf"raw/{people.alice.folder}/[0-9a-f]{{16}}\.jpg", images[0].raw_path)
    listing = admin_client.get("/admin/enrolment/").get_data(as_text=True)
    assert "Alice Archer (A001)" in listing


def test_buttons_queue_jobs_that_show_progress_and_can_be_cancelled(admin_client, people, db, csrf_token) -> None:
    token = csrf_token(admin_client)
    admin_client.post(f"/admin/enrolment/{people.alice.id}/preprocess", data={"csrf_token": token})
    admin_client.post(f"/admin/enrolment/{people.alice.id}/capture", data={"csrf_token": token, "source": "0"})
    jobs = db.session.scalars(sa.select(Job).order_by(Job.id)).all()
    assert [(j.kind, j.state, j.staff_id) for j in jobs] == [("preprocess", "pending", people.alice.id),
                                                             ("capture", "pending", people.alice.id)]
    assert all(j.task_id for j in jobs)  # sent to the broker
    state = admin_client.get(f"/admin/enrolment/jobs.json?id={jobs[1].id}").get_json()
    assert state == [{**state[0], "kind": "capture", "state": "pending", "progress": 0, "finished": False}]
    response = admin_client.post(f"/admin/enrolment/jobs/{jobs[1].id}/cancel", data={"csrf_token": token},
                                 follow_redirects=True)
    assert "Cancel requested." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Job, jobs[1].id).state == "cancelled"


def test_capture_needs_a_camera_source(admin_client, people, db, csrf_token) -> None:
    token = csrf_token(admin_client)
    response = admin_client.post(f"/admin/enrolment/{people.alice.id}/capture", data={"csrf_token": token,
                                 "source": "  "}, follow_redirects=True)
    assert "Give the registration camera" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
