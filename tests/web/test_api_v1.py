"""The scripts' JSON API with personal API tokens: scopes, revocation, typed input, staff, photos, jobs, the log
with filters and cursor paging, attendance, the OpenAPI description; token requests need no CSRF token."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.api_tokens import TokenError, create_api_token, revoke_api_tokens
from app.models import ApiToken, FaceImage, Job, Log, Staff


@pytest.fixture()
def tokens(people, db) -> dict[str, str]:
    """A read and a write token of the admin."""
    return {scope: create_api_token(people.admin, f"{scope} script", scope)[1] for scope in ("read", "write")}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_stored_hashed_scoped_and_revocable(app, people, db, tokens) -> None:
    client = app.test_client()
    stored = db.session.scalars(sa.select(ApiToken)).all()
    assert all(row.token_hash not in tokens.values() and len(row.token_hash) == 64 for row in stored)
    assert client.get("/api/v1/staff", headers=bearer(tokens["read"])).status_code == 200
    refused = client.post("/api/v1/staff", headers=bearer(tokens["read"]), json={"staff_id": "X"})
    assert refused.status_code == 403 and "scoped read" in refused.get_json()["error"]
    unknown = client.get("/api/v1/staff", headers=bearer("fgt_nope"))
    assert unknown.status_code == 401 and unknown.headers["WWW-Authenticate"].startswith("Bearer")
    read_row = next(row for row in stored if row.scope == "read")
    assert revoke_api_tokens([read_row.id]) == 1
    revoked = client.get("/api/v1/staff", headers=bearer(tokens["read"]))
    assert revoked.status_code == 401 and "revoked" in revoked.get_json()["error"]
    with pytest.raises(TokenError):
        create_api_token(people.alice.user, "staff script", "read")  # tokens belong to admins only


def test_a_person_is_created_given_photos_and_preprocessed_through_the_api(app, people, db, tokens,
                                                                           faces_dir) -> None:  # fmt: skip
    client = app.test_client()
    # No CSRF token: the request carries a bearer token and no session.
    created = client.post("/api/v1/staff", headers=bearer(tokens["write"]), json={
        "staff_id": "E042", "first_name": "Ada", "last_name": "Lovelace", "gates": ["Front"]})  # fmt: skip
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["staff_id"] == "E042" and body["gates"] == ["Front"] and body["one_time_password"]
    assert client.post("/api/v1/staff", headers=bearer(tokens["write"]), json={
        "staff_id": "E042", "first_name": "Ada", "last_name": "L"}).status_code == 409  # fmt: skip

    photos = sorted(next(p for p in (faces_dir / "people").iterdir() if p.is_dir()).glob("*.jpg"))[:2]
    files = {"photos": [(io.BytesIO(p.read_bytes()), p.name) for p in photos] + [(io.BytesIO(b"junk"), "x.jpg")]}
    uploaded = client.post("/api/v1/staff/E042/photos", headers=bearer(tokens["write"]), data=files,
                           content_type="multipart/form-data")  # fmt: skip
    assert uploaded.status_code == 200 and uploaded.get_json()["saved"] == 2
    assert [error["file"] for error in uploaded.get_json()["errors"]] == ["x.jpg"]
    staff = db.session.scalar(sa.select(Staff).where(Staff.staff_id == "E042"))
    count = sa.select(sa.func.count()).select_from(FaceImage).where(FaceImage.staff_id == staff.id)
    assert db.session.scalar(count) == 2

    job_request = {"kind": "preprocess", "staff_id": "E042"}
    started = client.post("/api/v1/jobs", headers=bearer(tokens["write"]), json=job_request)
    assert started.status_code == 202 and started.get_json()["state"] == "pending"
    job = client.get(started.headers["Location"], headers=bearer(tokens["read"])).get_json()
    assert job["kind"] == "preprocess" and job["staff_id"] == "E042" and job["progress"] == 0
    assert db.session.get(Job, job["id"]).task_id  # queued for a worker
    read = client.get("/api/v1/staff/E042", headers=bearer(tokens["read"])).get_json()
    assert read["photos"] == 2 and read["first_name"] == "Ada"
    assert client.get("/api/v1/staff/NOPE", headers=bearer(tokens["read"])).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "payload", "message"),
    [
        ("post", "/api/v1/staff", {"staff_id": 42, "first_name": "A", "last_name": "B"}, "staff_id must be a string"),
        ("post", "/api/v1/staff", {"staff_id": "E1", "first_name": "A", "last_name": "B", "gates": "Front"},
         "gates must be a list of strings"),
        ("post", "/api/v1/staff", {"first_name": "A", "last_name": "B"}, "staff_id is required"),
        ("post", "/api/v1/staff", ["not", "an", "object"], "must be a JSON object"),
        ("post", "/api/v1/jobs", {"kind": "capture"}, "kind must be one of preprocess, train"),
        ("post", "/api/v1/jobs", {"kind": "preprocess", "staff_id": "A001", "redo": "yes"},
         "redo must be true or false"),
        ("get", "/api/v1/logs?limit=0", None, "limit must be between 1 and 200"),
        ("get", "/api/v1/logs?since=yesterday", None, "since must be an ISO 8601 time"),
        ("get", "/api/v1/logs?status=sideways", None, "status must be in or out"),
        ("get", "/api/v1/logs?after=-1", None, "after must be between"),
        ("get", "/api/v1/attendance?start=2026-13-01", None, "start must be a date"),
        ("get", "/api/v1/attendance?start=2026-02-01&end=2026-01-01", None, "end is before start"),
        ("get", "/api/v1/jobs/0", None, "job id must be between"),
    ],
)
def test_wrong_types_are_a_400_that_says_what_is_wrong(app, people, db, tokens, method, path, payload,
                                                       message) -> None:  # fmt: skip
    client = app.test_client()
    response = getattr(client, method)(path, headers=bearer(tokens["write"]), json=payload)
    assert response.status_code == 400 and message in response.get_json()["error"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 2  # nothing half-saved


def test_the_log_pages_by_cursor_with_filters_and_attendance_adds_up(app, people, db, tokens) -> None:
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    rows = [Log(staff_id=people.alice.id, gate_id=people.gate.id, status=("in", "out")[i % 2],
                timestamp=start + timedelta(hours=i)) for i in range(5)]  # fmt: skip
    rows.append(Log(staff_id=people.bob.id, gate_id=people.gate.id, status="in", timestamp=start))
    db.session.add_all(rows)
    db.session.commit()
    client = app.test_client()
    seen, cursor = [], 0
    while cursor is not None:
        page = client.get(f"/api/v1/logs?staff_id=A001&limit=2&after={cursor}", headers=bearer(tokens["read"]))
        assert page.status_code == 200
        seen += page.get_json()["items"]
        cursor = page.get_json()["next"]
    assert [item["id"] for item in seen] == [row.id for row in rows[:5]]
    assert {item["name"] for item in seen} == {"Alice Archer"} and seen[0]["gate"] == "Front"
    outs = client.get("/api/v1/logs?status=out&since=2026-03-02T08:30:00Z&until=2026-03-02T11:30:00",
                      headers=bearer(tokens["read"])).get_json()["items"]  # fmt: skip
    assert [item["timestamp"] for item in outs] == [rows[1].timestamp.isoformat(), rows[3].timestamp.isoformat()]
    report = client.get("/api/v1/attendance?start=2026-03-02&end=2026-03-02&staff_id=A001",
                        headers=bearer(tokens["read"])).get_json()  # fmt: skip
    [day] = report["items"]
    # in 08:00 out 09:00, in 10:00 out 11:00, in 12:00 (not closed): two hours inside.
    assert day["staff_id"] == "A001" and day["seconds_inside"] == 2 * 3600 and day["unclosed"] is True


def test_the_openapi_description_names_every_route(app) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    routes = {
        (re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api_v1.") and "openapi" not in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }  # fmt: skip
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == described
    for path, item in document["paths"].items():
        for method, operation in item.items():
            view = app.view_functions[next(r.endpoint for r in app.url_map.iter_rules()
                                           if re.sub(r"<(?:int:)?(\w+)>", r"{\1}", r.rule) == path
                                           and method.upper() in r.methods)]  # fmt: skip
            assert operation["security"] == [{"apiToken": [view.api_scope]}], (path, method)
