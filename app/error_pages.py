"""Error pages shared by the staff pages (app/views/) and the admin (app/admin/), so neither imports the other."""

from __future__ import annotations

from flask import render_template


def forbidden_page() -> tuple[str, int]:
    """The 403 page for a signed-in user who asks for something that is not theirs."""
    message = "You are signed in, but this page is not yours to see."
    return render_template("error.html", title="Not allowed", message=message), 403
