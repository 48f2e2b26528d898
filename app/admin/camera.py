"""What the live page's camera view shows of one gate: its latest processed frame, the faces' boxes with a name
or "stranger", and the gate's state. Built from what the recognize workers kept (app/gates/camera_view.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.gates.camera_view import VIEW_TTL_S, latest_view
from app.models import Gate, Staff
from app.redis_client import get_redis
from app.sitetime import format_local


def _names(labels: set[str]) -> dict[str, str]:
    if not labels:
        return {}
    rows = db.session.execute(
        select(Staff.staff_id, Staff.first_name, Staff.last_name).where(Staff.staff_id.in_(labels))
    )
    return {staff_id: f"{first} {last}" for staff_id, first, last in rows}


def _caption(mark: dict, names: dict[str, str]) -> tuple[str, str]:
    """The text over a face's box and its kind: known, stranger, or unidentified (too small, blurred...)."""
    if mark["rejection"]:
        return mark["rejection"], "unidentified"
    if mark["label"] is None:
        return "stranger", "stranger"
    return names.get(mark["label"], mark["label"]), "known"


def camera_payload(gate: Gate, redis_url: str) -> dict:
    """The gate's state (online, door open/closed when it has a contact, lockdown) and latest view for the page:
    image (a data: URL, or None when no frame came in the last few seconds), faces (box, caption, kind) and when
    the frame was captured (site time)."""
    state = {"gate": gate.name, "active": gate.active, "online": gate.is_online(), "door": gate.door_state or "",
             "lockdown": gate.lockdown}  # fmt: skip
    view = latest_view(get_redis(redis_url), gate.id)
    if view is None:
        reason = "the gate is inactive" if not gate.active else "is camera_ingest running, and a worker?"
        return {**state, "image": None, "faces": [],
                "message": f"No frame processed in the last {VIEW_TTL_S} s ({reason})."}  # fmt: skip
    names = _names({m["label"] for m in view["faces"] if m["label"] and not m["rejection"]})
    faces = []
    for mark in view["faces"]:
        caption, kind = _caption(mark, names)
        faces.append({"box": mark["box"], "caption": caption, "kind": kind})
    captured = datetime.fromtimestamp(view["captured_at"], UTC)
    return {**state, "image": f"data:image/jpeg;base64,{view['jpeg']}", "faces": faces, "seq": view["seq"],
            "captured": format_local(captured, "%H:%M:%S"), "message": ""}  # fmt: skip
