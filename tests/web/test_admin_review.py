"""The admin's review of gate decisions: crops shown, reviews recorded for the next training, bad input refused."""

from __future__ import annotations

from sqlalchemy import select

from app.models import DecisionFace


def add_face(db, people, kind: str, staff=None) -> DecisionFace:
    face = DecisionFace(
        decision_id=f"{kind[:1]}{db.session.query(DecisionFace).count():031d}", gate_id=people.gate.id, kind=kind,
        staff_id=None if staff is None else staff.id, crop=b"\xff\xd8 a jpeg",
    )  # fmt: skip
    db.session.add(face)
    db.session.commit()
    return face


def test_strangers_are_listed_with_their_crops_and_confirmed(db, people, admin_client, csrf_token) -> None:
    face = add_face(db, people, "stranger")
    page = admin_client.get("/admin/review/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"/admin/review/{face.id}/crop.jpg" in html and "Not staff" in html
    assert admin_client.get(f"/admin/review/{face.id}/crop.jpg").data == b"\xff\xd8 a jpeg"
    form = {"review": "not_staff", "csrf_token": csrf_token(admin_client)}
    answer = admin_client.post(f"/admin/review/{face.id}", data=form)
    assert answer.status_code == 302
    db.session.expire_all()
    reviewed = db.session.scalar(select(DecisionFace).where(DecisionFace.id == face.id))
    assert (reviewed.review, reviewed.reviewed_by) == ("not_staff", people.admin.id)
    # The snapshot stays after the review (until SNAPSHOT_DAYS).
    assert admin_client.get(f"/admin/review/{face.id}/crop.jpg").data == b"\xff\xd8 a jpeg"


def test_a_grant_can_be_marked_as_the_wrong_person(db, people, admin_client, csrf_token) -> None:
    face = add_face(db, people, "granted", people.alice)
    html = admin_client.get("/admin/review/?kind=granted").get_data(as_text=True)
    assert "Alice Archer (A001)" in html and "Not this person" in html
    form = {"review": "wrong_person", "csrf_token": csrf_token(admin_client)}
    admin_client.post(f"/admin/review/{face.id}", data=form)
    db.session.expire_all()
    assert db.session.get(DecisionFace, face.id).review == "wrong_person"


def test_bad_review_input_is_a_clear_400(db, people, admin_client, csrf_token) -> None:
    face = add_face(db, people, "stranger")
    token = csrf_token(admin_client)
    answer = admin_client.post(f"/admin/review/{face.id}", data={"review": "correct", "csrf_token": token})
    assert answer.status_code == 400 and b"not_staff or was_staff" in answer.data
    assert admin_client.get("/admin/review/?kind=everything").status_code == 400
    assert admin_client.post("/admin/review/999999", data={"review": "x", "csrf_token": token}).status_code == 404


def test_an_empty_review_says_so(db, people, admin_client) -> None:
    html = admin_client.get("/admin/review/?kind=denied&pending=1").get_data(as_text=True)
    assert "Nothing to review" in html
