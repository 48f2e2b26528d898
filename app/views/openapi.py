"""The OpenAPI 3.1 description of the scripts' JSON API (/api/v1), served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

ERROR = {"description": "refused: {\"error\": message}", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}  # fmt: skip
PAGE = [
    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0},
     "description": "the previous page's `next`"},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
]  # fmt: skip


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "schema": schema or {"type": "string"}, "description": description}


def _op(summary: str, scope: str, ok: str, schema: str | None = None, **extra: Any) -> dict:
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}} if schema else {}
    responses = {ok: {"description": "done", "content": content}, "400": ERROR, "401": ERROR, "403": ERROR,
                 "429": ERROR}  # fmt: skip
    return {"summary": summary, "security": [{"apiToken": [scope]}], "responses": responses, **extra}


def _json_body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


STAFF_ID = {"name": "staff_id", "in": "path", "required": True, "schema": {"type": "string"}}
NULLABLE_TEXT = {"type": ["string", "null"]}
SCHEMAS = {
    "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
    "Staff": {"type": "object", "properties": {
        "staff_id": {"type": "string"}, "first_name": {"type": "string"}, "last_name": {"type": "string"},
        "email": NULLABLE_TEXT, "phone": NULLABLE_TEXT, "kind": {"type": "string"},
        "gates": {"type": "array", "items": {"type": "string"}}, "photos": {"type": "integer"},
        "created_at": {"type": "string", "format": "date-time"}}},
    "StaffPage": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Staff"}},
        "next": {"type": ["integer", "null"]}}},
    "NewStaff": {"type": "object", "required": ["staff_id", "first_name", "last_name"], "properties": {
        "staff_id": {"type": "string", "maxLength": 64}, "first_name": {"type": "string", "maxLength": 64},
        "last_name": {"type": "string", "maxLength": 64}, "email": NULLABLE_TEXT, "phone": NULLABLE_TEXT,
        "gates": {"type": "array", "items": {"type": "string"},
                  "description": "gate names the person is cleared for"}}},
    "CreatedStaff": {"allOf": [{"$ref": "#/components/schemas/Staff"}, {"type": "object", "properties": {
        "one_time_password": {"type": "string", "description": "shown once; changed at first sign-in"}}}]},
    "Upload": {"type": "object", "properties": {"saved": {"type": "integer"}, "errors": {"type": "array", "items": {
        "type": "object", "properties": {"file": {"type": "string"}, "error": {"type": "string"}}}}}},
    "NewJob": {"type": "object", "required": ["kind"], "properties": {
        "kind": {"enum": ["preprocess", "train"]}, "staff_id": {"type": "string", "description": "for preprocess"},
        "redo": {"type": "boolean", "default": False}}},
    "Job": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"}, "staff_id": NULLABLE_TEXT,
        "state": {"enum": ["pending", "running", "succeeded", "failed", "cancelled"]},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100}, "message": {"type": "string"},
        "finished": {"type": "boolean"}, "created_at": {"type": "string"}, "started_at": NULLABLE_TEXT,
        "finished_at": NULLABLE_TEXT}},
    "LogPage": {"type": "object", "properties": {"next": {"type": ["integer", "null"]}, "items": {
        "type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "staff_id": {"type": "string"}, "name": {"type": "string"},
            "gate_id": {"type": "integer"}, "gate": {"type": "string"}, "status": {"enum": ["in", "out"]},
            "timestamp": {"type": "string", "format": "date-time"}, "violation": NULLABLE_TEXT}}}}},
    "Attendance": {"type": "object", "properties": {
        "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"},
        "time_zone": {"type": "string"}, "items": {"type": "array", "items": {"type": "object", "properties": {
            "staff_id": {"type": "string"}, "name": {"type": "string"}, "day": {"type": "string", "format": "date"},
            "first_in": NULLABLE_TEXT, "last_out": NULLABLE_TEXT, "seconds_inside": {"type": "integer"},
            "unclosed": {"type": "boolean"}, "visitor": {"type": "boolean"}}}}}},
}  # fmt: skip

PATHS = {
    "/api/v1/staff": {
        "get": _op("List people", "read", "200", "StaffPage", parameters=[
            *PAGE, _query("q", "part of a staff id, first or last name")]),
        "post": _op("Create a person and their web account", "write", "201", "CreatedStaff",
                    requestBody=_json_body("NewStaff")),
    },
    "/api/v1/staff/{staff_id}": {"get": _op("Read a person", "read", "200", "Staff", parameters=[STAFF_ID])},
    "/api/v1/staff/{staff_id}/photos": {"post": _op(
        "Upload photos (images or zips) as the person's raw photos", "write", "200", "Upload", parameters=[STAFF_ID],
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
            "photos": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}})},
    "/api/v1/jobs": {"post": _op("Start preprocessing a person's photos, or training", "write", "202", "Job",
                                 requestBody=_json_body("NewJob"))},
    "/api/v1/jobs/{job_id}": {"get": _op("Read a job's progress", "read", "200", "Job", parameters=[
        {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}])},
    "/api/v1/logs": {"get": _op("Read the in/out log, oldest first", "read", "200", "LogPage", parameters=[
        *PAGE, _query("staff_id", "one person"), _query("gate_id", "one gate", {"type": "integer"}),
        _query("status", "in or out", {"enum": ["in", "out"]}),
        _query("since", "from this time (ISO 8601; UTC without a zone)", {"type": "string", "format": "date-time"}),
        _query("until", "before this time", {"type": "string", "format": "date-time"})])},
    "/api/v1/attendance": {"get": _op("Read attendance per person and local day", "read", "200", "Attendance",
                                      parameters=[
        _query("start", "first local day (default: 6 days ago)", {"type": "string", "format": "date"}),
        _query("end", "last local day (default: today)", {"type": "string", "format": "date"}),
        _query("staff_id", "one person")])},
}  # fmt: skip


def openapi_document() -> dict:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "facegate API", "version": "1",
                 "description": "Personal API tokens (admins create them in the admin UI) as bearer tokens; read "
                                "tokens may GET, write tokens may also POST. Errors are {\"error\": message}."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {"apiToken": {"type": "http", "scheme": "bearer"}}},
    }  # fmt: skip
