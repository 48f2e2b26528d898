"""Staff self-service: one's own log, one's own details, the avatar upload and everything it must refuse."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db as _db
from app.models import AvatarBlob, Log, Staff
from app.models.types import utcnow


def image_bytes(fmt: str = "PNG", size=(64, 48), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "teal" if mode == "RGB" else 1).save(out, fmt)
    return out.getvalue()


def upload(client, token, data: bytes, filename: str = "me.png"):
    return client.post(
        "/me/avatar",
        data={"csrf_token": token, "avatar": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def stored_avatars(app) -> list[bytes]:
    """Every avatar in the shared database (none is ever written to a host's disk)."""
    media = Path(app.config["MEDIA_DIR"])
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))
    return _db.session.scalars(sa.select(AvatarBlob.jpeg)).all()


def test_my_log_shows_only_my_rows_newest_first_a_page_at_a_time(people, db, alice_client, bob_client):
    start = utcnow() - timedelta(days=3)
    for i in range(30):
        status = "in" if i % 2 == 0 else "out"
        db.session.add(Log(staff_id=people.alice.id, gate_id=people.gate.id, status=status,
                           timestamp=start + timedelta(minutes=10 * i)))
    db.session.add(Log(staff_id=people.bob.id, gate_id=people.gate.id, status="in", timestamp=utcnow()))
    db.session.commit()
    first = alice_client.get("/me").get_data(as_text=True)
    times = re.findall(r"<td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</td>", first)
    assert len(times) == 25 and times == sorted(times, reverse=True)
    assert "30 entries" in first and "Page 1 of 2" in first
    second = alice_client.get("/me?page=2").get_data(as_text=True)
    assert len(re.findall(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", second)) == 5
    bob_page = bob_client.get("/me").get_data(as_text=True)
    assert "1 entry ·" in bob_page and "A001" not in bob_page and "Alice" not in bob_page


def test_an_empty_log_says_so(alice_client):
    assert "No entries or exits recorded yet" in alice_client.get("/me").get_data(as_text=True)


def test_info_edits_names_email_phone_but_never_the_staff_id(people, db, alice_client, csrf_token):
    response = alice_client.post("/me/info", data={
        "csrf_token": csrf_token(alice_client), "first_name": "Alicia", "last_name": "Archer-Smith",
        "email": "alicia@example.org", "phone": "+44 20 7946 0000", "staff_id": "HACKED",
    })
    assert response.status_code == 302
    db.session.expire_all()
    alice = db.session.get(Staff, people.alice.id)
    assert (alice.first_name, alice.last_name, alice.email, alice.phone, alice.staff_id) == (
        "Alicia", "Archer-Smith", "alicia@example.org", "+44 20 7946 0000", "A001")
    assert alice.user.username == "A001"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "A" * 65, "Field cannot be longer than 64 characters."),
        ("email", "x" * 250 + "@example.org", "Field cannot be longer than 254 characters."),
        ("email", "not-an-email", "Not an email address."),
        ("phone", "call me <script>", "Use digits, spaces and + ( ) . / - only."),
        ("last_name", "", "This field is required."),
    ],
)
def test_bad_details_get_a_clear_message_and_change_nothing(people, db, alice_client, csrf_token, field, value,
                                                            message):
    data = {"csrf_token": csrf_token(alice_client), "first_name": "Alice", "last_name": "Archer",
            "email": "", "phone": "", field: value}
    response = alice_client.post("/me/info", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.expire_all()
    alice = db.session.get(Staff, people.alice.id)
    assert (alice.first_name, alice.last_name, alice.email) == ("Alice", "Archer", "alice@example.org")


def test_an_avatar_is_re_encoded_stored_under_a_random_name_and_replaced(app, people, db, alice_client, bob_client,
                                                                         csrf_token):
    response = upload(alice_client, csrf_token(alice_client), image_bytes("PNG", (1200, 900)), "holiday.png")
    assert response.status_code == 302
    db.session.expire_all()
    first_path = db.session.get(Staff, people.alice.id).avatar_path
    assert re.fullmatch(r"avatars/[0-9a-f]{32}\.jpg", first_path)
    served = alice_client.get(f"/avatars/{people.alice.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as picture:
        assert picture.format == "JPEG" and max(picture.size) == 512
    assert bob_client.get(f"/avatars/{people.alice.id}").status_code == 403
    upload(alice_client, csrf_token(alice_client), image_bytes("GIF"), "again.gif")
    db.session.expire_all()
    second_path = db.session.get(Staff, people.alice.id).avatar_path
    assert second_path != first_path
    (stored,) = stored_avatars(app)
    with Image.open(io.BytesIO(stored)) as picture:
        assert picture.format == "JPEG"


def _decompression_bomb() -> bytes:
    return image_bytes("PNG", (10_000, 10_000), mode="1")  # a few KB on disk, 100 megapixels decoded


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"just some text, not a picture", "notes.png", "not a JPEG, PNG, GIF, WEBP image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "face.svg",
         "not a JPEG, PNG, GIF, WEBP image"),
        (image_bytes("BMP"), "face.bmp", "not a JPEG, PNG, GIF, WEBP image"),
        (image_bytes("PNG"), "../../etc/cron.d/evil.png", "must not contain a path"),
        (image_bytes("JPEG")[:200], "cut.jpg", "corrupt or truncated image"),
        (_decompression_bomb(), "bomb.png", "image too large"),
        (b"", "empty.png", "The file is empty."),
    ],
)
def test_bad_avatars_are_refused_with_a_clear_message_and_nothing_is_stored(app, people, db, alice_client,
                                                                            csrf_token, data, filename, message):
    response = upload(alice_client, csrf_token(alice_client), data, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Staff, people.alice.id).avatar_path is None
    assert stored_avatars(app) == []


def test_an_oversized_avatar_is_refused(app, people, db, alice_client, csrf_token, monkeypatch):
    monkeypatch.setitem(app.config, "AVATAR_MAX_BYTES", 10 * 1024)
    big = image_bytes("PNG", (200, 200))
    big += b"\0" * (11 * 1024 - len(big))
    response = upload(alice_client, csrf_token(alice_client), big, "big.png")
    assert response.status_code == 400 and "too large: at most 10 KB" in response.get_data(as_text=True)
    assert stored_avatars(app) == []


def test_an_upload_over_the_request_limit_is_refused(app, people, alice_client, csrf_token, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    response = upload(alice_client, csrf_token(alice_client), b"\0" * (65 * 1024), "huge.png")
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    assert stored_avatars(app) == []
