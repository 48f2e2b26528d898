"""The authorisation matrix: every web route against anonymous, staff, another staff member, admin, a gate token.

Alice is the staff member whose data the routes name; Bob is another staff member. A gate token is an API
credential for /api only, so on web pages it counts for nothing: the same answer as an anonymous visitor.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.models import DecisionFace, Log

ROLES = ("anonymous", "staff", "other_staff", "admin", "gate_token")
SIGN_IN = 302  # login_required / Flask-Admin send anonymous visitors to /login

# (method, path, expected status for each role in ROLES order). {alice} is Alice's staff row id, {log} a log row,
# {gate} the gate, {admin} the admin's user id, {face} a stranger decision's face.
MATRIX = [
    ("GET", "/", (SIGN_IN, 302, 302, 302, SIGN_IN)),
    ("GET", "/login", (200, 302, 302, 302, 200)),
    ("GET", "/healthz", (200, 200, 200, 200, 200)),
    ("GET", "/me", (SIGN_IN, 200, 200, 200, SIGN_IN)),
    ("GET", "/me?page=2", (SIGN_IN, 200, 200, 200, SIGN_IN)),
    ("GET", "/me/info", (SIGN_IN, 200, 200, 200, SIGN_IN)),
    ("GET", "/password", (SIGN_IN, 200, 200, 200, SIGN_IN)),
    ("GET", "/avatars/{alice}", (SIGN_IN, 200, 403, 200, SIGN_IN)),
    ("GET", "/reports/attendance", (SIGN_IN, 200, 200, 200, SIGN_IN)),
    ("GET", "/reports/attendance?staff=A001", (SIGN_IN, 200, 403, 200, SIGN_IN)),
    ("GET", "/reports/attendance?staff=A001&format=csv", (SIGN_IN, 200, 403, 200, SIGN_IN)),
    ("POST", "/me/info", (SIGN_IN, 302, 302, 200, SIGN_IN)),
    ("POST", "/password", (SIGN_IN, 400, 400, 400, SIGN_IN)),  # signed in: the form is checked (wrong password)
    ("POST", "/me/avatar", (SIGN_IN, 400, 400, 403, SIGN_IN)),
    ("GET", "/admin/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/live/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/live/data.json", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/live/camera/{gate}.json", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/presence/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/presence/?format=csv", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/presence/print", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/staff/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/webhooks/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/api_tokens/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/integrations/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/api_tokens/new/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    # The scripts' API takes personal API tokens only (tests/web/test_api_v1.py): no session, no gate token.
    ("GET", "/api/v1/staff", (401, 401, 401, 401, 401)),
    ("GET", "/api/v1/staff/A001", (401, 401, 401, 401, 401)),
    ("POST", "/api/v1/staff", (401, 401, 401, 401, 401)),
    ("GET", "/api/v1/logs", (401, 401, 401, 401, 401)),
    ("GET", "/api/v1/attendance", (401, 401, 401, 401, 401)),
    ("POST", "/api/v1/jobs", (401, 401, 401, 401, 401)),
    ("GET", "/api/v1/openapi.json", (200, 200, 200, 200, 200)),
    ("GET", "/admin/webhooks/new/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/webhook_deliveries/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/staff/new/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/staff/edit/?id={alice}", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/staff/details/?id={alice}", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("POST", "/admin/staff/delete/", (SIGN_IN, 403, 403, 302, SIGN_IN)),
    ("GET", "/admin/admins/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/admins/new/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/admins/edit/?id={admin}", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/gates/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/gates/new/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/gates/edit/?id={gate}", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("POST", "/admin/gates/action/", (SIGN_IN, 403, 403, 302, SIGN_IN)),
    ("GET", "/admin/logs/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/logs/export/csv/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/logs/new/", (SIGN_IN, 403, 403, 302, SIGN_IN)),  # no create: Flask-Admin redirects
    ("GET", "/admin/logs/edit/?id={log}", (SIGN_IN, 403, 403, 302, SIGN_IN)),  # no edit either
    ("POST", "/admin/logs/delete/", (SIGN_IN, 403, 403, 302, SIGN_IN)),
    ("GET", "/admin/models/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/jobs/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/jobs/new/", (SIGN_IN, 403, 403, 302, SIGN_IN)),
    ("GET", "/admin/enrolment/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/enrolment/{alice}", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/enrolment/jobs.json?id=1", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("POST", "/admin/enrolment/{alice}/preprocess", (SIGN_IN, 403, 403, 302, SIGN_IN)),
    ("POST", "/admin/enrolment/{alice}/upload", (SIGN_IN, 403, 403, 302, SIGN_IN)),  # no file: message, redirect
    ("GET", "/admin/review/", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/review/?kind=granted&pending=1", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("GET", "/admin/review/{face}/crop.jpg", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("POST", "/admin/review/{face}", (SIGN_IN, 403, 403, 400, SIGN_IN)),  # no review given: a clear 400
    ("GET", "/snapshots/{alice_decision}/face.jpg", (SIGN_IN, 200, 403, 200, SIGN_IN)),
    ("GET", "/snapshots/{alice_decision}/frame.jpg", (SIGN_IN, 200, 403, 200, SIGN_IN)),
    ("GET", "/snapshots/{stranger_decision}/face.jpg", (SIGN_IN, 403, 403, 200, SIGN_IN)),
    ("POST", "/logout", (SIGN_IN, 302, 302, 302, SIGN_IN)),  # last: it signs everyone out
]


@pytest.fixture()
def clients(app, people, login, db, avatar_for_alice) -> dict[str, FlaskClient]:
    gate_client = app.test_client()
    gate_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {people.gate_token}"
    return {
        "anonymous": app.test_client(),
        "staff": login("A001", people.passwords["A001"]),
        "other_staff": login("B002", people.passwords["B002"]),
        "admin": login("boss", people.passwords["boss"]),
        "gate_token": gate_client,
    }


@pytest.fixture()
def avatar_for_alice(app, people, db):
    from app.avatars import store_avatar

    store_avatar(people.alice, b"\xff\xd8 not checked here")
    db.session.commit()


def test_every_route_answers_every_role_as_expected(app, people, db, clients, csrf_token):
    log = Log(staff_id=people.alice.id, gate_id=people.gate.id, status="in")
    face = DecisionFace(decision_id="f" * 32, gate_id=people.gate.id, kind="stranger", crop=b"\xff\xd8jpeg")
    alices = DecisionFace(decision_id="a" * 32, gate_id=people.gate.id, kind="granted", staff_id=people.alice.id,
                          crop=b"\xff\xd8jpeg", frame=b"\xff\xd8frame")  # fmt: skip
    db.session.add_all([log, face, alices])
    db.session.commit()
    tokens = {role: csrf_token(client) for role, client in clients.items()}
    mismatches = []
    for method, path_template, expected in MATRIX:
        path = path_template.format(
            alice=people.alice.id, log=log.id, gate=people.gate.id, admin=people.admin.id, face=face.id,
            alice_decision=alices.decision_id, stranger_decision=face.decision_id,
        )
        for role, status in zip(ROLES, expected, strict=True):
            client = clients[role]
            if method == "GET":
                response = client.get(path)
            else:
                # A valid form for each POST, so the answer is about who asks, not about a bad form.
                data = {"csrf_token": tokens[role], "id": str(log.id if "logs" in path else 0),
                        "first_name": "Same", "last_name": "Person", "action": "rotate_token", "rowid": "0"}
                response = client.post(path, data=data)
            if response.status_code != status:
                mismatches.append(f"{role:12} {method} {path}: expected {status}, got {response.status_code}")
            if status == SIGN_IN and role in ("anonymous", "gate_token") and response.status_code == 302:
                assert "/login" in response.headers["Location"], path
    assert not mismatches, "\n".join(mismatches)
