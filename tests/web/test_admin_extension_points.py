"""What app/admin/logs.py relies on in Flask-Admin (pinned in pyproject.toml), checked so an upgrade that changes it
fails here, loudly, instead of quietly breaking the log's paging, sorting or CSV export."""

from __future__ import annotations

import inspect

from flask_admin.contrib.sqla import ModelView

from app.admin.logs import SORT_KEYS, LogAdmin


def _log_view(app) -> LogAdmin:
    return next(view for view in app.extensions["admin"][0]._views if isinstance(view, LogAdmin))


def test_get_list_keeps_its_documented_signature() -> None:
    parameters = list(inspect.signature(ModelView.get_list).parameters)
    assert parameters == ["self", "page", "sort_column", "sort_desc", "search", "filters", "execute", "page_size"]


def test_an_unexecuted_list_query_is_ordered_by_the_whole_sort_key(app, db) -> None:
    view = _log_view(app)
    with app.test_request_context("/admin/logs/export/csv/"):
        for column, key in SORT_KEYS.items():
            _count, query = view.get_list(None, column, True, None, None, execute=False, page_size=0)
            order = str(query.statement.compile()).split("ORDER BY")[1]
            assert [part.strip() for part in order.split(",")] == [f"logs.{c.key} DESC" for c in key]
        _count, query = view.get_list(None, None, False, None, None, execute=False, page_size=0)
        assert "ORDER BY logs.timestamp DESC, logs.id DESC" in str(query.statement.compile())


def test_the_list_template_still_has_the_pager_block_the_log_replaces(app) -> None:
    source, _filename, _uptodate = app.jinja_env.loader.get_source(app.jinja_env, "admin/model/list.html")
    assert "{% block list_pager %}" in source
