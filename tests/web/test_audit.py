"""The audit trail: every admin change through Flask-Admin and the CLI leaves an append-only row; admins list,
filter and export it, nobody edits or deletes it; deleting a log row needs a reason."""

from __future__ import annotations

import csv
import importlib
import io
import json
import pkgutil
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import app.admin
from app.admin.security import AdminModelView
from app.api_tokens import create_api_token
from app.audit import entries_since
from app.models import AuditEntry, Gate, Log, Staff
from app.models.audit import AuditImmutableError


def text(response) -> str:
    return response.get_data(as_text=True)


def audit_rows(db) -> list[AuditEntry]:
    db.session.expire_all()
    return entries_since()


def test_create_edit_and_delete_in_the_admin_are_audited_with_before_and_after(people, db, admin_client,
                                                                               csrf_token):
    token = csrf_token(admin_client)
    created = admin_client.post("/admin/gates/new/", data={"csrf_token": token, "name": "Side door",
                                                           "camera_source": "1", "ip_address": "", "active": "y"})
    assert created.status_code == 302
    side = db.session.scalar(sa.select(Gate).where(Gate.name == "Side door"))
    url = f"/admin/staff/edit/?id={people.bob.id}"
    edited = admin_client.post(url, data={"csrf_token": token, "first_name": "Robert", "last_name": "Baker",
                                          "email": "", "phone": "", "gates": [str(side.id)], "active": "y",
                                          "new_password": "reset-by-admin-1"})
    assert edited.status_code == 302
    deleted = admin_client.post("/admin/gates/delete/", data={"id": people.gate.id, "csrf_token": token})
    assert deleted.status_code == 302

    rows = audit_rows(db)
    assert [(r.actor, r.action, r.target_type) for r in rows] == [
        ("boss", "create", "gates"), ("boss", "password.reset", "users"), ("boss", "edit", "staff"),
        ("boss", "delete", "gates"),
    ]
    create, reset, edit, delete = rows
    assert create.target_label == "Side door" and create.after_fields()["camera_source"] == "1"
    assert "token_hash" not in create.after_fields() and create.before is None
    assert edit.target_id == str(people.bob.id) and edit.target_label == "Robert Baker"
    assert edit.before_fields()["first_name"] == "Bob" and edit.after_fields()["first_name"] == "Robert"
    assert edit.before_fields()["gates"] == [] and edit.after_fields()["gates"] == ["Side door"]
    assert "reset-by-admin-1" not in json.dumps([r.before for r in rows] + [r.after for r in rows])
    assert reset.target_label == "B002"
    assert delete.target_label == "Front" and delete.before_fields()["name"] == "Front" and delete.after is None
    page = text(admin_client.get("/admin/audit/"))
    assert "first_name: &#39;Bob&#39; -&gt; &#39;Robert&#39;" in page


def test_a_refused_change_writes_no_audit_row(people, db, admin_client, csrf_token):
    db.session.add(Log(staff_id=people.alice.id, gate_id=people.gate.id, status="in"))
    db.session.commit()
    response = admin_client.post("/admin/gates/delete/", data={"id": people.gate.id,
                                                               "csrf_token": csrf_token(admin_client)})
    assert response.status_code == 302
    assert db.session.get(Gate, people.gate.id) is not None and audit_rows(db) == []


def test_deleting_a_log_row_needs_a_reason_and_is_audited(people, db, admin_client, csrf_token):
    row = Log(staff_id=people.alice.id, gate_id=people.gate.id, status="in",
              timestamp=datetime(2026, 11, 2, 8, 30, tzinfo=UTC))
    db.session.add(row)
    db.session.commit()
    listing = text(admin_client.get("/admin/logs/"))
    assert f"/admin/logs/delete-with-reason/?id={row.id}" in listing
    confirm = text(admin_client.get(f"/admin/logs/delete-with-reason/?id={row.id}"))
    assert "Alice Archer (A001)" in confirm and 'name="reason"' in confirm
    assert admin_client.get("/admin/logs/delete-with-reason/?id=999999").status_code == 404
    token = csrf_token(admin_client)
    for reason in ("", "   "):
        refused = admin_client.post("/admin/logs/delete/", data={"id": row.id, "csrf_token": token,
                                                                 "reason": reason}, follow_redirects=True)
        assert "Give a reason for the deletion" in text(refused)
    bulk = admin_client.post("/admin/logs/action/", data={"action": "delete", "rowid": [row.id],
                                                          "csrf_token": token})
    assert bulk.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Log)) == 1 and audit_rows(db) == []

    done = admin_client.post("/admin/logs/delete/", data={"id": row.id, "csrf_token": token,
                                                          "reason": "test badge swipe, not a real passage"})
    assert done.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Log)) == 0
    [entry] = audit_rows(db)
    assert (entry.action, entry.target_type, entry.reason) == ("delete", "logs",
                                                                "test badge swipe, not a real passage")
    assert entry.before_fields()["status"] == "in" and entry.before_fields()["staff_id"] == people.alice.id


def test_the_trail_is_listed_filtered_and_exported_but_never_edited_or_deleted(people, db, admin_client,
                                                                               csrf_token):
    token = csrf_token(admin_client)
    admin_client.post("/admin/gates/action/", data={"action": "rotate_token", "rowid": [people.gate.id],
                                                    "csrf_token": token})
    admin_client.post(f"/admin/staff/edit/?id={people.bob.id}", data={
        "csrf_token": token, "first_name": "Bob", "last_name": "Bakerson", "email": "", "phone": "", "active": "y"})
    rows = audit_rows(db)
    assert [r.action for r in rows] == ["gate.rotate_token", "edit"]
    rotate = rows[0]

    listing = text(admin_client.get("/admin/audit/"))
    assert "gate.rotate_token" in listing and "/admin/audit/edit/" not in listing
    assert "/admin/audit/new/" not in listing and "/admin/audit/delete/" not in listing
    filtered = text(admin_client.get("/admin/audit/?flt0_2=rotate"))  # the Action filter ("contains")
    assert "gate.rotate_token" in filtered and "Bakerson" not in filtered
    details = text(admin_client.get(f"/admin/audit/details/?id={rows[1].id}"))
    assert "Bakerson" in details and "Baker" in details

    exported = text(admin_client.get("/admin/audit/export/csv/"))
    table = list(csv.reader(io.StringIO(exported)))
    assert table[0][:3] == ["Time", "Actor", "Action"] and len(table) == 3
    assert {r[2] for r in table[1:]} == {"gate.rotate_token", "edit"}

    assert admin_client.post("/admin/audit/delete/", data={"id": rotate.id, "csrf_token": token}).status_code == 302
    admin_client.post(f"/admin/audit/edit/?id={rotate.id}", data={"csrf_token": token, "actor": "nobody"})
    admin_client.post("/admin/audit/action/", data={"action": "delete", "rowid": [rotate.id], "csrf_token": token})
    assert [(r.id, r.actor) for r in audit_rows(db)] == [(rotate.id, "boss"), (rows[1].id, "boss")]


def test_the_database_layer_refuses_to_change_or_delete_an_audit_row(people, db):
    entry = AuditEntry(actor="boss", action="edit", target_type="gates", target_id="1", target_label="Front")
    db.session.add(entry)
    db.session.commit()
    entry.actor = "someone else"
    with pytest.raises(AuditImmutableError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditImmutableError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).actor == "boss"


def test_staff_cannot_read_the_trail(people, db, alice_client):
    assert alice_client.get("/admin/audit/").status_code == 403


def test_no_admin_view_bypasses_the_audited_save_methods():
    for module in pkgutil.iter_modules(app.admin.__path__):
        importlib.import_module(f"app.admin.{module.name}")
    views, pending = [], list(AdminModelView.__subclasses__())
    while pending:
        view = pending.pop()
        views.append(view)
        pending += view.__subclasses__()
    assert len(views) >= 6
    for view in views:
        overridden = {"create_model", "update_model", "delete_model"} & set(vars(view))
        assert not overridden, f"{view.__name__} overrides {overridden}: override save_new/save_edit/remove instead"


def test_cli_commands_are_audited_and_listed_as_json_lines(app, people, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["gates", "add", "Garage", "--camera", "2"]).exit_code == 0
    assert runner.invoke(args=["users", "set-password", "A001", "--password", "new-password-1"]).exit_code == 0
    result = runner.invoke(args=["audit", "list", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [(line["action"], line["target"]) for line in lines] == [
        ("create", f"gates {db.session.scalar(sa.select(Gate.id).where(Gate.name == 'Garage'))} (Garage)"),
        ("password.reset", f"users {people.alice.user.id} (A001)"),
    ]
    assert all(line["actor"].startswith("cli") and {"at", "reason"} <= line.keys() for line in lines)

    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert runner.invoke(args=["audit", "list", "--json", "--since", later]).output == ""
    plain = runner.invoke(args=["audit", "list", "--since", "2000-01-01"])
    assert plain.exit_code == 0 and "password.reset  users" in plain.output
    bad = runner.invoke(args=["audit", "list", "--since", "yesterday"])
    assert bad.exit_code == 2 and "is not an ISO date" in bad.output


def test_a_training_from_the_admin_is_audited(people, db, admin_client, csrf_token, redis_client):
    response = admin_client.post("/admin/enrolment/train", data={"csrf_token": csrf_token(admin_client),
                                                                 "full": "1"})
    assert response.status_code == 302
    [entry] = audit_rows(db)
    assert (entry.action, entry.target_type, entry.after_fields()) == ("model.train", "jobs", {"full": True})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 2


def test_the_json_api_audits_what_it_creates_under_the_token_and_its_owner(app, people, db, redis_client):
    _token, secret = create_api_token(people.admin, "hr-sync", "write")
    client, auth = app.test_client(), {"Authorization": f"Bearer {secret}"}
    created = client.post("/api/v1/staff", headers=auth, json={"staff_id": "C003", "first_name": "Cleo",
                                                               "last_name": "Cruz"})
    assert created.status_code == 201
    assert client.post("/api/v1/jobs", headers=auth, json={"kind": "train"}).status_code == 202
    rows = audit_rows(db)
    assert [(r.actor, r.action, r.target_type) for r in rows] == [
        ("boss (API token hr-sync)", "create", "staff"), ("boss (API token hr-sync)", "model.train", "jobs")]
    assert rows[0].target_label == "Cleo Cruz" and rows[0].after_fields()["staff_id"] == "C003"
