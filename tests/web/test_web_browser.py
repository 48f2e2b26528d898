"""The web app in a real browser: Playwright drives Debian's headless Chromium against a real server.

Screenshots of the main pages go to test-artifacts/ (not tracked). Never `playwright install`: the browser is
/usr/bin/chromium, installed by `make test`.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from app.accounts import create_staff
from app.models import Log
from app.models.types import utcnow

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
    shots(page, "admin-live")

    # Bob came in and has not left; Alice came in and went out again.
    page.goto("/admin/presence/")
    expect(page.locator("h1")).to_have_text("Who is in")
    expect(page.locator("table.presence tbody tr")).to_have_count(1)
    expect(page.locator("table.presence")).to_contain_text("Bob Baker")
    expect(page.locator("nav.navbar")).to_contain_text("times in UTC")
    shots(page, "admin-who-is-in")


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
