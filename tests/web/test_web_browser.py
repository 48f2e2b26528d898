"""The web app in a real browser: Playwright drives Debian's headless Chromium against a real server.

Screenshots of the main pages go to test-artifacts/ (not tracked). Never `playwright install`: the browser is
/usr/bin/chromium, installed by `make test`.
"""

from __future__ import annotations

import base64
import io
import re
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import cv2
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from app.accounts import create_staff
from app.gates.camera_view import keep_frame
from app.gates.decision_faces import face_crop_jpeg
from app.gates.stream import Event, publish_event
from app.models import DecisionFace, Log
from app.models.types import utcnow
from app.recognition.classify import FaceVerdict
from app.recognition.configured import recognizer_from_config
from app.recognition.images import decode_image
from app.redis_client import get_redis
from camera_ingest.reader import encode_jpeg
from testkit.scenes import background, scene_frame

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(app) -> Iterator[str]:
    """The real app behind a real HTTP server on a free loopback port; its base URL."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture()
def shots(repo_root: Path):
    folder = repo_root / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def shot(page: Page, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return shot


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button:has-text('Sign in')")


def add_passages(db, people) -> None:
    now = utcnow()
    for minutes, staff, status in [(90, people.alice, "in"), (60, people.bob, "in"), (30, people.alice, "out")]:
        db.session.add(Log(staff_id=staff.id, gate_id=people.gate.id, status=status,
                           timestamp=now - timedelta(minutes=minutes)))
    db.session.commit()


def test_admin_creates_a_gate_and_a_person_and_filters_the_log(page: Page, people, db, shots):
    add_passages(db, people)
    sign_in(page, "boss", people.passwords["boss"])
    expect(page).to_have_url(re.compile(r"/admin/$"))
    shots(page, "admin-home")

    page.goto("/admin/gates/new/")
    page.fill("#name", "Loading bay")
    page.fill("#camera_source", "rtsp://10.0.0.30/stream")
    page.click("input[type=submit][value='Save']")
    expect(page.locator(".alert-warning")).to_contain_text("API token of gate 'Loading bay' (shown only now")
    shots(page, "admin-gates")

    page.goto("/admin/staff/new/")
    page.fill("#staff_id", "D004")
    page.fill("#first_name", "Dara")
    page.fill("#last_name", "Diaz")
    page.evaluate("""() => {
        const option = [...document.querySelectorAll('#gates option')].find(o => o.text === 'Loading bay');
        option.selected = true;
    }""")
    page.click("input[type=submit][value='Save']")
    expect(page.locator(".alert-warning")).to_contain_text("One-time password for D004")
    expect(page.locator("table.model-list")).to_contain_text("Loading bay")
    shots(page, "admin-staff")

    page.goto("/admin/logs/")
    expect(page.locator("table.model-list tbody tr")).to_have_count(3)
    page.click("text=Add Filter")
    page.click("a.filter:has-text('Staff ID')")
    page.fill(".filter-val", "B002")
    page.click("button:has-text('Apply')")
    expect(page.locator("table.model-list tbody tr")).to_have_count(1)
    expect(page.locator("table.model-list")).to_contain_text("Bob Baker (B002)")
    shots(page, "admin-logs-filtered")

    page.goto("/admin/live/")
    expect(page.locator("#live-passages tr")).to_have_count(3)

    # Bob came in and has not left; Alice came in and went out again.
    page.goto("/admin/presence/")
    expect(page.locator("h1")).to_have_text("Who is in")
    expect(page.locator("table.presence tbody tr")).to_have_count(1)
    expect(page.locator("table.presence")).to_contain_text("Bob Baker")
    expect(page.locator("nav.navbar")).to_contain_text("times in UTC")


def test_staff_changes_the_one_time_password_uploads_an_avatar_and_sees_only_their_log(
    page: Page, people, db, shots
):
    staff, one_time = create_staff("E005", "Eve", "Evans")
    db.session.add(Log(staff_id=staff.id, gate_id=people.gate.id, status="in"))
    db.session.commit()
    add_passages(db, people)

    sign_in(page, "E005", one_time)
    expect(page).to_have_url(re.compile(r"/password"))
    expect(page.locator(".note")).to_contain_text("one-time password")
    shots(page, "staff-change-password")
    page.goto("/me")  # nothing else is reachable before the change
    expect(page).to_have_url(re.compile(r"/password$"))
    page.fill("input[name=current_password]", one_time)
    page.fill("input[name=new_password]", "eves-own-secret")
    page.fill("input[name=confirm]", "eves-own-secret")
    page.click("main button:has-text('Change password')")
    expect(page.locator(".flash.success")).to_contain_text("Your password was changed.")

    page.goto("/me/info")
    picture = io.BytesIO()
    Image.new("RGB", (300, 300), "orange").save(picture, "PNG")
    page.set_input_files("input[name=avatar]", {"name": "me.png", "mimeType": "image/png",
                                                "buffer": picture.getvalue()})
    page.click("button:has-text('Upload photo')")
    expect(page.locator(".flash.success")).to_contain_text("Your photo was updated.")
    avatar = page.locator("img.avatar")
    expect(avatar).to_be_visible()
    assert avatar.evaluate("img => img.complete && img.naturalWidth") == 300
    shots(page, "staff-info")

    page.goto("/me")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text("Alice")
    expect(page.locator("main")).not_to_contain_text("Bob")
    shots(page, "staff-my-log")
    page.set_viewport_size({"width": 390, "height": 844})
    shots(page, "staff-my-log-phone")

    page.goto("/reports/attendance")
    expect(page.locator("table.data")).to_contain_text("Eve Evans")
    expect(page.locator("nav.navbar")).to_contain_text("times in UTC")
    shots(page, "staff-attendance")
    assert page.goto("/admin/").status == 403
    assert page.goto("/admin/presence/").status == 403


class Camera:
    """A worker's part, played from the test: a real frame with a real face (found by the product's detector),
    published as the gate's live view every half second, as a camera and worker would."""

    def __init__(self, app, faces_dir: Path, gate_id: int, label: str) -> None:
        photo = sorted((faces_dir / "people").glob("*/*.jpg"))[0]
        jpeg = encode_jpeg(scene_frame(background(), cv2.imread(str(photo)), 0), 85)
        self.rgb = decode_image(jpeg)
        found, _ = recognizer_from_config(app.config).check_faces(self.rgb)
        self.face = found[0]
        self.face.verdict = FaceVerdict(label, label, 0.9, None, "browser test")
        self.jpeg_b64, self.gate_id = base64.b64encode(jpeg).decode(), gate_id
        self.client = get_redis(app.config["REDIS_URL"])
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def crop(self) -> bytes:
        return face_crop_jpeg(self.rgb, self.face.face.box)

    def _run(self) -> None:
        seq = 0
        while not self.stop.is_set():
            seq += 1
            keep_frame(self.client, self.gate_id, seq, time.time(), self.jpeg_b64, [self.face], True)
            self.stop.wait(0.5)


def decisions_with_snapshots(db, people, camera: Camera) -> None:
    """Alice in and out and Bob in (each with the face crop as its snapshot), and a stranger on the gate's stream."""
    now = utcnow()
    for minutes, staff, status in [(90, people.alice, "in"), (60, people.bob, "in"), (30, people.alice, "out")]:
        decision_id = uuid.uuid4().hex
        when = now - timedelta(minutes=minutes)
        db.session.add(Log(staff_id=staff.id, gate_id=people.gate.id, status=status, timestamp=when,
                           decision_id=decision_id))  # fmt: skip
        db.session.add(DecisionFace(decision_id=decision_id, gate_id=people.gate.id, kind="granted",
                                    staff_id=staff.id, captured_at=when, crop=camera.crop()))  # fmt: skip
    stranger = uuid.uuid4().hex
    db.session.add(DecisionFace(decision_id=stranger, gate_id=people.gate.id, kind="stranger", crop=camera.crop()))
    db.session.commit()
    event = Event(stranger, "stranger", people.gate.id, None, None, None, None, now.isoformat(), False)
    publish_event(camera.client, event, 100)


def test_admin_sees_the_cameras_snapshots_who_is_in_and_charts(page: Page, app, people, db, shots, faces_dir):
    camera = Camera(app, faces_dir, people.gate.id, "A001")
    decisions_with_snapshots(db, people, camera)
    camera.thread.start()
    try:
        sign_in(page, "boss", people.passwords["boss"])
        expect(page.locator("#chart-traffic .uplot")).to_be_visible()
        shots(page, "admin-home-charts")
        page.goto("/admin/live/")
        expect(page.locator(".camera-canvas")).to_be_visible()
        expect(page.locator(".camera-info")).to_contain_text("1 face")
        # The canvas shows the frame at its own size, with the box and the name drawn over it.
        assert page.locator(".camera-canvas").evaluate("c => [c.width, c.height]") == [640, 480]
        expect(page.locator("#live-events img.snapshot")).to_have_count(1)
        expect(page.locator("#live-passages img.snapshot")).to_have_count(3)
        assert page.locator("#live-passages img.snapshot").first.evaluate("i => i.complete && i.naturalWidth") == 112
        shots(page, "admin-live")
    finally:
        camera.stop.set()
        camera.thread.join(timeout=5)
    page.goto("/admin/logs/")
    expect(page.locator("table.model-list img.snapshot")).to_have_count(3)
    page.goto("/admin/presence/")
    expect(page.locator("table.presence tbody tr")).to_have_count(1)
    shots(page, "admin-who-is-in")
    page.goto("/admin/presence/print")
    expect(page.locator("h1")).to_have_text("Roll call: who is in")
    page.goto("/reports/attendance")
    for chart in ("hourly", "presence", "inside"):
        expect(page.locator(f"#chart-{chart} .uplot")).to_be_visible()
    shots(page, "admin-attendance-charts")


def test_staff_see_their_own_snapshots_and_charts_and_no_camera(page: Page, app, people, db, shots, faces_dir):
    camera = Camera(app, faces_dir, people.gate.id, "A001")
    decisions_with_snapshots(db, people, camera)
    sign_in(page, "A001", people.passwords["A001"])
    expect(page.locator("table.data img.snapshot")).to_have_count(2)
    own = page.locator("table.data img.snapshot").first
    assert own.evaluate("i => i.complete && i.naturalWidth") == 112
    shots(page, "staff-my-log-snapshots")
    bobs = db.session.scalar(select(DecisionFace.decision_id).where(DecisionFace.staff_id == people.bob.id))
    stranger = db.session.scalar(select(DecisionFace.decision_id).where(DecisionFace.kind == "stranger"))
    for decision_id in (bobs, stranger):
        assert page.goto(f"/snapshots/{decision_id}/face.jpg").status == 403
    for path in ("/admin/live/", f"/admin/live/camera/{people.gate.id}.json", "/admin/presence/",
                 "/admin/presence/print"):  # fmt: skip
        assert page.goto(path).status == 403, path
    page.goto("/reports/attendance")
    for chart in ("hourly", "presence", "inside"):
        expect(page.locator(f"#chart-{chart} .uplot")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Bob")
    shots(page, "staff-attendance-charts")
    page.set_viewport_size({"width": 390, "height": 844})
    shots(page, "staff-attendance-charts-phone")
