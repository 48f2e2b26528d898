"""The admin log list pages by seek: Next and Previous visit every row once, in order, for every sort and filter."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import pytest

from app.models import Gate, Log
from app.models.log import DIRECTIONS

PAGE_SIZE = 20
# Each row's delete link (to its confirmation page, which asks for a reason) carries its id and the list's URL.
ROW_ID = re.compile(r'/admin/logs/delete-with-reason/\?id=(\d+)')
DELETE_RETURN = re.compile(r'/admin/logs/delete-with-reason/\?id=\d+&amp;url=([^"]*)"')
SITE_ZONE = "Europe/Berlin"


def _link(page: str, label: str) -> str | None:
    """The href of the pager link labelled label, None where it is disabled."""
    match = re.search(rf'<a class="page-link" href="([^"]+)">{re.escape(label)}</a>', page)
    return html.unescape(match.group(1)) if match else None


def _ids(page: str) -> list[int]:
    return [int(row_id) for row_id in ROW_ID.findall(page)]


@pytest.fixture()
def log_rows(app, people, db, monkeypatch) -> list[Log]:
    """150 rows over six days, two people, two gates, in and out; every timestamp shared by three rows."""
    monkeypatch.setitem(app.config, "TIMEZONE", SITE_ZONE)
    side = Gate(name="Side", camera_source="2", token_hash="y" * 64)
    db.session.add(side)
    db.session.flush()
    start = datetime(2024, 5, 6, 5, 0, tzinfo=UTC)
    rows = [
        Log(
            staff_id=(people.alice, people.bob)[i % 5 < 3].id,
            gate_id=(people.gate, side)[i % 7 < 3].id,
            timestamp=start + timedelta(hours=3 * (i // 3)),
            status=DIRECTIONS[(i // 2) % 2],
        )
        for i in range(150)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _local_day(row: Log) -> date:
    return row.timestamp.astimezone(ZoneInfo(SITE_ZONE)).date()


# (query string, which rows it shows, its order as a sort key and whether descending). Filter indexes follow
# LogAdmin.column_filters: 0 staff ID, 1 last name, 2 gate, 3 local date, 4 status.
LISTINGS = {
    "newest first": ("", lambda r: True, lambda r: (r.timestamp, r.id), True),
    "oldest first": ("sort=0", lambda r: True, lambda r: (r.timestamp, r.id), False),
    "by direction": ("sort=3", lambda r: True, lambda r: (DIRECTIONS.index(r.status), r.timestamp, r.id), False),
    "by direction, out first": (
        "sort=3&desc=1",
        lambda r: True,
        lambda r: (DIRECTIONS.index(r.status), r.timestamp, r.id),
        True,
    ),
    "staff ID": ("flt0_0=A001", lambda r: r.staff.staff_id == "A001", lambda r: (r.timestamp, r.id), True),
    "last name": ("flt0_1=aker", lambda r: r.staff.last_name == "Baker", lambda r: (r.timestamp, r.id), True),
    "last names of both": ("flt0_1=er", lambda r: True, lambda r: (r.timestamp, r.id), True),
    "gate": ("flt0_2=Side", lambda r: r.gate.name == "Side", lambda r: (r.timestamp, r.id), True),
    "local dates, oldest first": (
        "flt0_3=2024-05-07+to+2024-05-08&sort=0",
        lambda r: date(2024, 5, 7) <= _local_day(r) <= date(2024, 5, 8),
        lambda r: (r.timestamp, r.id),
        False,
    ),
    "status": ("flt0_4=out", lambda r: r.status == "out", lambda r: (r.timestamp, r.id), True),
    "gate and status, by direction": (
        "flt0_2=Front&flt1_4=in&sort=3&desc=1",
        lambda r: r.gate.name == "Front" and r.status == "in",
        lambda r: (DIRECTIONS.index(r.status), r.timestamp, r.id),
        True,
    ),
}


@pytest.mark.parametrize("listing", LISTINGS)
def test_next_and_previous_visit_every_row_once_in_order(log_rows, admin_client, listing):
    query, shown, key, descending = LISTINGS[listing]
    expected = [row.id for row in sorted(filter(shown, log_rows), key=key, reverse=descending)]
    assert len(expected) > 2 * PAGE_SIZE  # at least three pages
    first_url = f"/admin/logs/?{query}&page_size={PAGE_SIZE}"

    forwards, url = [], first_url
    while url:
        page = admin_client.get(url).get_data(as_text=True)
        assert len(_ids(page)) == PAGE_SIZE or _link(page, "Next ›") is None
        forwards += _ids(page)
        url = _link(page, "Next ›")
    assert forwards == expected

    last = admin_client.get(first_url).get_data(as_text=True)
    backwards, url = [], _link(last, "Last »")
    while url:
        page = admin_client.get(url).get_data(as_text=True)
        backwards = _ids(page) + backwards
        url = _link(page, "‹ Previous")
    assert backwards == expected


def test_a_new_sort_or_filter_or_a_bad_cursor_starts_at_the_first_page(log_rows, admin_client):
    first = admin_client.get(f"/admin/logs/?page_size={PAGE_SIZE}").get_data(as_text=True)
    second_url = _link(first, "Next ›")
    assert "after=" in second_url and _link(first, "‹ Previous") is None and _link(first, "« First") is None
    second = admin_client.get(second_url).get_data(as_text=True)
    assert _ids(second) != _ids(first) and _link(second, "« First") is not None

    refiltered = admin_client.get(second_url + "&flt0_4=in").get_data(as_text=True)
    all_in = sorted((r for r in log_rows if r.status == "in"), key=lambda r: (r.timestamp, r.id), reverse=True)
    assert _ids(refiltered) == [r.id for r in all_in[:PAGE_SIZE]]
    resorted = admin_client.get(second_url + "&sort=0").get_data(as_text=True)
    assert _ids(resorted) == [r.id for r in sorted(log_rows, key=lambda r: (r.timestamp, r.id))[:PAGE_SIZE]]
    listing = second_url.split("after=")[1].split(".")[0]
    for bad in (
        "after=nonsense",
        f"after={listing}.{'9' * 30}.1",
        f"after={listing}.x.1",
        f"after={listing}.1",
        "page=3",
    ):
        response = admin_client.get(f"/admin/logs/?page_size={PAGE_SIZE}&{bad}")
        assert response.status_code == 200 and _ids(response.get_data(as_text=True)) == _ids(first)


def test_deleting_a_row_on_a_deep_page_returns_to_that_page(log_rows, db, admin_client, csrf_token):
    first = admin_client.get(f"/admin/logs/?page_size={PAGE_SIZE}").get_data(as_text=True)
    third_url = _link(admin_client.get(_link(first, "Next ›")).get_data(as_text=True), "Next ›")
    third = admin_client.get(third_url).get_data(as_text=True)
    doomed = _ids(third)[1]
    return_url = unquote(html.unescape(DELETE_RETURN.search(third).group(1)))
    confirm = admin_client.get(f"/admin/logs/delete-with-reason/?id={doomed}&url={quote(return_url)}")
    assert f'name="url" value="{html.escape(return_url)}"' in confirm.get_data(as_text=True)
    response = admin_client.post("/admin/logs/delete/", data={
        "id": doomed, "url": return_url, "csrf_token": csrf_token(admin_client), "reason": "a duplicate row"})
    assert response.status_code == 302 and response.location == return_url
    again = _ids(admin_client.get(response.location).get_data(as_text=True))
    assert again[0] == _ids(third)[0] and doomed not in again and len(again) == PAGE_SIZE
    assert db.session.get(Log, doomed) is None


def test_csv_export_from_a_deep_page_has_every_filtered_row(log_rows, admin_client):
    first = admin_client.get(f"/admin/logs/?flt0_4=out&page_size={PAGE_SIZE}").get_data(as_text=True)
    second = admin_client.get(_link(first, "Next ›")).get_data(as_text=True)
    export = html.unescape(re.search(r'href="(/admin/logs/export/csv/[^"]*)"', second).group(1))
    assert "after=" in export
    lines = list(csv.reader(io.StringIO(admin_client.get(export).get_data(as_text=True))))
    assert len(lines) - 1 == sum(row.status == "out" for row in log_rows)
