"""Who is in now, for admins: the page, its CSV and a print view for a roll call."""

from __future__ import annotations

from itertools import groupby

from flask import Response, request
from flask_admin import BaseView, expose

from app.admin.security import AdminOnly
from app.models.types import utcnow
from app.presence import presence_csv, who_is_in
from app.sitetime import format_local


class PresenceView(AdminOnly, BaseView):
    """Everyone whose latest passage was "in", per area; ?format=csv downloads it, /print is the roll-call sheet."""

    def _render(self, template: str):
        present = who_is_in()
        areas = [(area, list(people)) for area, people in groupby(present, key=lambda p: p.area)]
        return self.render(template, areas=areas, total=len(present), generated=format_local(utcnow()))

    @expose("/")
    def index(self):
        """The page: one table per area, or the CSV with ?format=csv."""
        if request.args.get("format") == "csv":
            name = f"who-is-in_{format_local(utcnow(), '%Y-%m-%d_%H%M')}.csv"
            return Response(
                presence_csv(who_is_in(), format_local),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return self._render("admin/presence.html")

    @expose("/print")
    def print_view(self):
        """The roll-call sheet: the same lists with a tick box per person, laid out for paper."""
        return self._render("admin/presence_print.html")
