"""Snapshots of gate decisions on the pages: admins see all of them, staff only their own, nobody else any."""

from __future__ import annotations

from datetime import timedelta

from app.models import DecisionFace, Log
from app.models.types import utcnow

ALICE_JPEG, BOB_JPEG, STRANGER_JPEG = b"\xff\xd8 alice", b"\xff\xd8 bob", b"\xff\xd8 stranger"


def passage_with_snapshot(db, people, staff, decision_id: str, crop: bytes, frame: bytes | None = None) -> Log:
    """A granted passage and its decision's face, as delivery writes them."""
    when = utcnow() - timedelta(minutes=5)
    row = Log(staff_id=staff.id, gate_id=people.gate.id, status="in", timestamp=when, decision_id=decision_id)
    face = DecisionFace(decision_id=decision_id, gate_id=people.gate.id, kind="granted", staff_id=staff.id,
                        captured_at=when, crop=crop, frame=frame)  # fmt: skip
    db.session.add_all([row, face])
    db.session.commit()
    return row


def test_each_role_sees_the_snapshots_it_may(db, people, admin_client, alice_client, bob_client, app):
    passage_with_snapshot(db, people, people.alice, "a" * 32, ALICE_JPEG, frame=b"\xff\xd8 whole frame")
    passage_with_snapshot(db, people, people.bob, "b" * 32, BOB_JPEG)
    db.session.add(DecisionFace(decision_id="c" * 32, gate_id=people.gate.id, kind="stranger", crop=STRANGER_JPEG))
    db.session.commit()
    alice, bob, stranger = "/snapshots/" + "a" * 32, "/snapshots/" + "b" * 32, "/snapshots/" + "c" * 32
    assert admin_client.get(f"{alice}/face.jpg").data == ALICE_JPEG
    assert admin_client.get(f"{alice}/frame.jpg").data == b"\xff\xd8 whole frame"
    assert admin_client.get(f"{stranger}/face.jpg").data == STRANGER_JPEG
    assert admin_client.get(f"{bob}/frame.jpg").status_code == 404  # no whole frame kept
    assert alice_client.get(f"{alice}/face.jpg").data == ALICE_JPEG
    assert alice_client.get(f"{bob}/face.jpg").status_code == 403
    assert alice_client.get(f"{stranger}/face.jpg").status_code == 403
    assert bob_client.get(f"{alice}/face.jpg").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"{alice}/face.jpg").status_code == 302
    for bad in ("/snapshots/NOT-HEX/face.jpg", f"{alice}/other.jpg", "/snapshots/" + "d" * 32 + "/face.jpg"):
        assert admin_client.get(bad).status_code == 404, bad


def test_me_shows_ones_own_snapshots_and_nobody_elses(db, people, alice_client):
    passage_with_snapshot(db, people, people.alice, "a" * 32, ALICE_JPEG)
    passage_with_snapshot(db, people, people.bob, "b" * 32, BOB_JPEG)
    page = alice_client.get("/me").get_data(as_text=True)
    assert "/snapshots/" + "a" * 32 + "/face.jpg" in page and "b" * 32 not in page
    assert "kept 30 days" in page


def test_the_admin_log_and_the_live_page_show_thumbnails(db, people, admin_client):
    passage_with_snapshot(db, people, people.alice, "a" * 32, ALICE_JPEG)
    db.session.add(Log(staff_id=people.bob.id, gate_id=people.gate.id, status="in"))  # no snapshot (e.g. expired)
    db.session.commit()
    log_page = admin_client.get("/admin/logs/").get_data(as_text=True)
    assert log_page.count('class="snapshot"') == 1 and "/snapshots/" + "a" * 32 + "/face.jpg" in log_page
    csv_text = admin_client.get("/admin/logs/export/csv/").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "Time,Person,Gate,Status,Violation"
    passages = admin_client.get("/admin/live/data.json").get_json()["passages"]
    assert sorted(p["snapshot"] or "" for p in passages) == ["", "/snapshots/" + "a" * 32 + "/face.jpg"]
