"""Liveness in the admin: each gate's mode is editable (default enforce), spoofs have their own filter on the review
page and on the live page, and a decision a warn-mode gate let stand is marked "not live"."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa

from app.enrolment.site_faces import record_decision_face
from app.gates.stream import Event, publish_event
from app.models import Gate
from app.models.types import utcnow
from app.redis_client import get_redis


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_gates_liveness_mode_is_set_on_create_and_edit(people, db, admin_client, csrf_token):
    data = {"csrf_token": csrf_token(admin_client), "name": "Side door", "ip_address": "", "camera_source": "2",
            "voice_enabled": "y", "liveness": "warn", "active": "y"}  # fmt: skip
    admin_client.post("/admin/gates/new/", data=data, follow_redirects=True)
    gate = db.session.scalar(sa.select(Gate).where(Gate.name == "Side door"))
    assert gate.liveness == "warn"
    edit = {**data, "csrf_token": csrf_token(admin_client), "liveness": "off"}
    admin_client.post(f"/admin/gates/edit/?id={gate.id}", data=edit, follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(Gate, gate.id).liveness == "off"
    bad = {**data, "csrf_token": csrf_token(admin_client), "liveness": "strict"}
    page = text(admin_client.post(f"/admin/gates/edit/?id={gate.id}", data=bad, follow_redirects=True))
    assert "Not a valid choice" in page and db.session.get(Gate, gate.id).liveness == "off"
    assert people.gate.liveness == "enforce"  # the default
    assert re.search(r"Liveness", text(admin_client.get("/admin/gates/")))


def test_spoofs_have_their_own_tab_on_the_review_page(app, people, db, admin_client):
    record_decision_face(uuid.uuid4().hex, people.gate.id, "spoof", "A001", utcnow(), None, "facenet", b"\xff\xd8")
    record_decision_face(uuid.uuid4().hex, people.gate.id, "granted", "B002", utcnow(), None, "facenet", None)
    page = text(admin_client.get("/admin/review/?kind=spoof"))
    assert "Alice Archer (A001)" in page and "Bob Baker" not in page and "not live" in page
    assert admin_client.get("/admin/review/?kind=masks").status_code == 400


def test_the_live_page_marks_spoofs_and_decisions_that_were_not_live(app, people, db, admin_client, redis_client):
    rds = get_redis(app.config["REDIS_URL"])
    for kind, liveness in (("spoof", "spoof"), ("granted", "spoof"), ("granted", None)):
        publish_event(rds, Event(uuid.uuid4().hex, kind, people.gate.id, "A001", "Alice Archer", "Alice", None,
                                 utcnow().isoformat(), False, liveness=liveness), 100)  # fmt: skip
    data = admin_client.get("/admin/live/data.json").get_json()
    assert [(e["kind"], e["type"]) for e in data["events"]] == [
        ("granted", "granted"), ("granted", "granted (not live)"), ("spoof", "spoof")
    ]
    page = text(admin_client.get("/admin/live/"))
    assert 'id="live-event-kind"' in page and '<option>spoof</option>' in page and 'data-kind="spoof"' in page
