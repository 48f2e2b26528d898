"""API tokens in the admin UI: an admin creates one (shown once, works as a bearer token), revokes it (401 after)."""

from __future__ import annotations

import html
import re

from app.models import ApiToken


def test_an_admin_creates_a_token_that_works_and_revokes_it(app, people, db, admin_client, csrf_token) -> None:
    data = {"csrf_token": csrf_token(admin_client), "name": "nightly export", "owner": str(people.admin.id),
            "scope": "read"}  # fmt: skip
    page = html.unescape(admin_client.post("/admin/api_tokens/new/", data=data, follow_redirects=True)
                         .get_data(as_text=True))  # fmt: skip
    token = re.search(r"API token 'nightly export' \(shown only now[^)]*\): (fgt_\S+)", page).group(1)
    assert token not in html.unescape(admin_client.get("/admin/api_tokens/").get_data(as_text=True))
    api = app.test_client()
    assert api.get("/api/v1/staff", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    row = db.session.query(ApiToken).one()
    assert row.last_used_at is not None and row.prefix == token[:12]
    admin_client.post("/admin/api_tokens/action/", data={
        "csrf_token": csrf_token(admin_client), "action": "revoke", "rowid": [str(row.id)]})  # fmt: skip
    assert api.get("/api/v1/staff", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    refused = {"csrf_token": csrf_token(admin_client), "name": "staff", "owner": str(people.alice.user.id),
               "scope": "write"}  # fmt: skip
    answer = admin_client.post("/admin/api_tokens/new/", data=refused, follow_redirects=True).get_data(as_text=True)
    assert "Not a valid choice" in answer and db.session.query(ApiToken).count() == 1
