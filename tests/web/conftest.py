"""Fixtures for the web tests: a few people and gates, signed-in clients, CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from flask import g, request_started
from flask.testing import FlaskClient

from app.accounts import create_admin, create_gate, create_staff

ADMIN_PASSWORD = "admin-password-1"
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token embedded in a page."""
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture(autouse=True)
def _each_request_gets_its_own_g(app):
    """The `db` fixture holds one app context for a whole test, so Flask would share `g` (the signed-in user,
    the CSRF token) between the test's requests; in production every request has its own. Emulate that."""

    def clear_g(sender, **extra) -> None:
        g.__dict__.clear()

    request_started.connect(clear_g, app)
    yield
    request_started.disconnect(clear_g, app)


@pytest.fixture()
def people(db, redis_client) -> SimpleNamespace:
    """An admin, two staff members (Alice cleared for Front, Bob for none) and a gate with its token."""
    gate, token = create_gate("Front", "0")
    admin = create_admin("boss", ADMIN_PASSWORD)
    alice, alice_password = create_staff("A001", "Alice", "Archer", "alice@example.org", None, ["Front"])
    bob, bob_password = create_staff("B002", "Bob", "Baker")
    # As if both had already replaced their one-time passwords (hashing is slow; these tests sign in a lot).
    alice.user.must_change_password = bob.user.must_change_password = False
    db.session.commit()
    passwords = {"boss": ADMIN_PASSWORD, "A001": alice_password, "B002": bob_password}
    return SimpleNamespace(gate=gate, gate_token=token, admin=admin, alice=alice, bob=bob, passwords=passwords)


@pytest.fixture()
def csrf_token() -> Callable[[FlaskClient], str]:
    """A function giving a client's current CSRF token (read from a page that has one)."""

    def token(client: FlaskClient) -> str:
        page = client.get("/password") if _signed_in(client) else client.get("/login")
        return csrf_from(page.get_data(as_text=True))

    return token


def _signed_in(client: FlaskClient) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


@pytest.fixture()
def login(app, csrf_token) -> Callable[..., FlaskClient]:
    """A function signing a fresh client in as username; it asserts the sign-in worked."""

    def sign_in(username: str, password: str) -> FlaskClient:
        client = app.test_client()
        response = client.post(
            "/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture()
def admin_client(people, login) -> FlaskClient:
    return login("boss", people.passwords["boss"])


@pytest.fixture()
def alice_client(people, login) -> FlaskClient:
    return login("A001", people.passwords["A001"])


@pytest.fixture()
def bob_client(people, login) -> FlaskClient:
    return login("B002", people.passwords["B002"])
