"""Signing in and out: throttling, safe redirects, the forced password change, CSRF, cookies."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.accounts import create_staff
from app.models import User


def _post_login(client, csrf_token, username, password, next_url=None):
    url = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(url, data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def test_wrong_password_is_refused_and_repeated_failures_lock_the_account(app, people, client, csrf_token):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        response = _post_login(client, csrf_token, "A001", "wrong-password")
        assert response.status_code == 401
        assert "Wrong username or password." in response.get_data(as_text=True)
    locked = _post_login(client, csrf_token, "A001", people.passwords["A001"])
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_a_successful_sign_in_clears_the_username_counter(app, people, client, csrf_token, redis_client):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert _post_login(client, csrf_token, "A001", "wrong-password").status_code == 401
    assert _post_login(client, csrf_token, "A001", people.passwords["A001"]).status_code == 302
    assert redis_client.get("facegate:login-failures:user:a001") is None


def test_unknown_user_and_inactive_user_get_the_same_answer(people, client, csrf_token, db):
    people.bob.user.active = False
    db.session.commit()
    unknown = _post_login(client, csrf_token, "nobody", "whatever-pass")
    inactive = _post_login(client, csrf_token, "B002", people.passwords["B002"])
    assert unknown.status_code == inactive.status_code == 401


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/reports/attendance", "/reports/attendance"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_redirects_only_to_this_site(people, client, csrf_token, next_url, expected):
    response = _post_login(client, csrf_token, "A001", people.passwords["A001"], next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_a_one_time_password_must_be_changed_before_anything_else(app, db, client, csrf_token):
    staff, one_time = create_staff("N100", "Nia", "New")
    response = _post_login(client, csrf_token, "N100", one_time)
    assert response.headers["Location"].startswith("/password")
    for path in ("/me", "/me/info", "/reports/attendance", "/admin/"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"] == "/password", path
    token = csrf_token(client)
    same = client.post(
        "/password",
        data={"current_password": one_time, "new_password": one_time, "confirm": one_time, "csrf_token": token},
    )
    assert same.status_code == 400 and "must differ" in same.get_data(as_text=True)
    short = client.post(
        "/password", data={"current_password": one_time, "new_password": "short", "confirm": "short",
                           "csrf_token": token},
    )
    assert short.status_code == 400 and "at least" in short.get_data(as_text=True)
    done = client.post(
        "/password",
        data={"current_password": one_time, "new_password": "my-own-secret-9", "confirm": "my-own-secret-9",
              "csrf_token": token},
    )
    assert done.status_code == 302
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.username == "N100"))
    assert not user.must_change_password and user.check_password("my-own-secret-9")
    assert client.get("/me").status_code == 200


def test_change_password_needs_the_current_one(alice_client, csrf_token, people):
    response = alice_client.post(
        "/password",
        data={"current_password": "not-it-at-all", "new_password": "new-secret-99", "confirm": "new-secret-99",
              "csrf_token": csrf_token(alice_client)},
    )
    assert response.status_code == 400 and "current password is wrong" in response.get_data(as_text=True)


def test_posts_without_a_csrf_token_are_refused(people, client, alice_client):
    response = client.post("/login", data={"username": "A001", "password": people.passwords["A001"]})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert alice_client.post("/logout").status_code == 400
    assert alice_client.post("/me/info", data={"first_name": "X", "last_name": "Y"}).status_code == 400


def test_admin_forms_carry_and_check_the_csrf_token(admin_client, people, db):
    page = admin_client.get("/admin/gates/new/").get_data(as_text=True)
    assert re.search(r'name="csrf_token"', page)
    refused = admin_client.post("/admin/gates/new/", data={"name": "Side", "camera_source": "1"})
    assert refused.status_code == 400


def test_logout_is_a_post_and_ends_the_session(alice_client, csrf_token):
    assert alice_client.get("/logout").status_code == 405
    response = alice_client.post("/logout", data={"csrf_token": csrf_token(alice_client)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert alice_client.get("/me").status_code == 302


def test_session_cookie_is_http_only_and_same_site(people, client, csrf_token):
    response = _post_login(client, csrf_token, "A001", people.passwords["A001"])
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_address_is_locked_out_after_failures_across_many_usernames(app, people, client, csrf_token):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for i in range(4 * limit):
        assert _post_login(client, csrf_token, f"guess{i}", "wrong-password").status_code == 401
    assert _post_login(client, csrf_token, "A001", people.passwords["A001"]).status_code == 429


def test_sign_in_still_works_without_redis_but_unthrottled(app, people, client, csrf_token, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert _post_login(client, csrf_token, "A001", "wrong-password").status_code == 401
    assert _post_login(client, csrf_token, "A001", people.passwords["A001"]).status_code == 302
