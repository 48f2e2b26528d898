"""Load on loopback: 200 long-polling gate clients plus an admin reading the log pages over 1,000,000 log rows.

`python -m bench.load [--clients 200] [--rows 1000000] [--duration-s 30] [--json]` builds a scratch database on
the MariaDB at --mysql-url (dropped afterwards) and uses a Redis database it may flush, fills the log with --rows
rows, starts the web app as production serves it (gunicorn with gunicorn.conf.py: --web-workers gthread processes of
--web-threads threads; testkit.processes.gunicorn_app), and measures:

1. the admin log pages (`/admin/logs/`: the newest, half way down the log, the oldest, one person's newest and
   oldest, a gate name matching every gate, the oldest by direction) with nothing else running;
2. the same pages while --clients gate clients long-poll their own gates and events are published to random gates
   (delivery latency from publish to the client, poll errors).

Everything is bounded: --rows rows, --clients threads for --duration-s seconds, --page-requests page views.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import redis
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.accounts import create_admin, create_gate, create_staff
from app.admin.logs import SORT_KEYS, cursor_text
from app.gates.stream import Event, publish_event
from app.models import Log
from app.redis_client import get_redis
from testkit.processes import REPO_ROOT, gunicorn_app
from testkit.scoring import percentile
from testkit.site import scratch_site

ADMIN_PASSWORD = "load-admin-password"
INSERT_CHUNK = 20_000
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PAGE_LINK = re.compile(r'<a class="page-link" href="([^"]+)">([^<]+)</a>')


def fill_site(args: argparse.Namespace) -> tuple[list[tuple[int, str]], float]:
    """Schema, an admin, one gate per client, a few staff and --rows log rows; the gates and the fill seconds."""
    flask_app = create_app()
    with flask_app.app_context():
        from app.extensions import db

        upgrade(directory=str(REPO_ROOT / "migrations"))
        create_admin("loadadmin", ADMIN_PASSWORD)
        gates = [create_gate(f"Load {i}", "") for i in range(args.clients)]
        gate_tokens = [(gate.id, token) for gate, token in gates]
        staff_ids = [create_staff(f"L{i:04d}", "Load", f"Person{i}")[0].id for i in range(args.staff)]
        started = time.perf_counter()
        rng = random.Random(7)
        now = datetime.now(UTC)
        last: dict[int, str] = {}
        with db.engine.begin() as conn:
            for offset in range(0, args.rows, INSERT_CHUNK):
                rows = []
                for index in range(offset, min(offset + INSERT_CHUNK, args.rows)):
                    staff = rng.choice(staff_ids)
                    last[staff] = "out" if last.get(staff) == "in" else "in"
                    rows.append(
                        {
                            "staff_id": staff,
                            "gate_id": rng.choice(gate_tokens)[0],
                            # Oldest first, spread over two years, so status alternates in time order too.
                            "timestamp": now - timedelta(seconds=(args.rows - index) * 63),
                            "status": last[staff],
                            "decision_id": uuid.uuid4().hex,
                        }
                    )
                conn.execute(sa.insert(Log), rows)
        fill_s = time.perf_counter() - started
        # Statistics as a live log has them: InnoDB's own were taken in the middle of the one-transaction fill, and
        # with them MariaDB sorted all 1,000,000 rows for a filter matching 200 gates (2-30 s a page).
        with db.engine.connect() as conn:
            conn.execute(sa.text("ANALYZE TABLE logs")).all()
        db.engine.dispose()
    return gate_tokens, fill_s


def admin_session(base_url: str) -> requests.Session:
    """A requests session signed in as the load admin."""
    session = requests.Session()
    token = CSRF_PATTERN.search(session.get(f"{base_url}/login", timeout=30).text).group(1)
    data = {"username": "loadadmin", "password": ADMIN_PASSWORD, "csrf_token": token}
    response = session.post(f"{base_url}/login", data=data, timeout=30, allow_redirects=False)
    if response.status_code != 302:
        raise RuntimeError(f"admin sign-in failed: {response.status_code}")
    return session


def pager_link(session: requests.Session, url: str, label: str) -> str:
    """The absolute URL of the log list pager link labelled label on the page at url."""
    links = {name: html.unescape(href) for href, name in PAGE_LINK.findall(session.get(url, timeout=60).text)}
    return urljoin(url, links[label])


def half_way_row() -> tuple[datetime, int]:
    """The (timestamp, id) of the row half way down the log, newest first (read once, untimed)."""
    from app.extensions import db

    flask_app = create_app()
    with flask_app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Log))
        order = (Log.timestamp.desc(), Log.id.desc())
        row = db.session.execute(sa.select(Log.timestamp, Log.id).order_by(*order).offset(count // 2).limit(1)).one()
        db.engine.dispose()
    return row.timestamp, row.id


def log_page_urls(session: requests.Session, base_url: str) -> dict[str, str]:
    """The admin log pages to time; the deep ones are reached the way an admin would, by the pager's cursors."""
    newest = f"{base_url}/admin/logs/"
    oldest = pager_link(session, newest, "Last »")
    listing = oldest.rsplit("before=", 1)[1]
    person = f"{newest}?flt0_0=L0007"
    return {
        "newest": newest,
        "half way": f"{newest}?after={cursor_text(listing, SORT_KEYS['timestamp'], half_way_row())}",
        "oldest": oldest,
        "person newest": person,
        "person oldest": pager_link(session, person, "Last »"),
        "every gate": f"{newest}?flt0_2=Load",
        "in/out oldest": pager_link(session, f"{newest}?sort=3&desc=1", "Last »"),
    }


def page_latencies(session: requests.Session, urls: dict[str, str], count: int) -> dict[str, dict]:
    """GET each url count times (round robin); per url p50/p95/max in ms and the non-200 answers."""
    timings: dict[str, list[float]] = {name: [] for name in urls}
    errors = dict.fromkeys(urls, 0)
    for _ in range(count):
        for name, url in urls.items():
            started = time.perf_counter()
            response = session.get(url, timeout=60)
            timings[name].append((time.perf_counter() - started) * 1000)
            errors[name] += response.status_code != 200
    return {
        name: {
            "p50_ms": percentile(values, 50),
            "p95_ms": percentile(values, 95),
            "max_ms": max(values),
            "errors": errors[name],
        }
        for name, values in timings.items()
    }


class PollingClients:
    """--clients threads, each long-polling its own gate; records each event's delivery latency and poll errors."""

    def __init__(self, base_url: str, gates: list[tuple[int, str]], wait_s: float) -> None:
        self.base_url, self.gates, self.wait_s = base_url, gates, wait_s
        self.latencies: list[float] = []
        self.polls = self.errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._poll, args=gate, daemon=True) for gate in gates]

    def start(self) -> None:
        """Start every client."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop every client (each finishes its current long poll)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.wait_s + 30)

    def _poll(self, gate_id: int, token: str) -> None:
        session, cursor = requests.Session(), "0"
        url = f"{self.base_url}/api/gates/{gate_id}/events"
        headers = {"Authorization": f"Bearer {token}"}
        while not self._stop.is_set():
            try:
                response = session.get(
                    url, params={"after": cursor, "wait": self.wait_s}, headers=headers, timeout=self.wait_s + 30
                )
                response.raise_for_status()
                body = response.json()
            except (requests.RequestException, ValueError):
                with self._lock:
                    self.errors += 1
                self._stop.wait(0.5)
                continue
            now = time.time()
            with self._lock:
                self.polls += 1
                self.latencies += [now - datetime.fromisoformat(e["timestamp"]).timestamp() for e in body["events"]]
            cursor = body["cursor"]


def publish_events(client: redis.Redis, gates: list[tuple[int, str]], per_s: float, stop: threading.Event) -> int:
    """Publish stranger events to random gates at per_s a second until stop; how many."""
    rng, sent = random.Random(11), 0
    while not stop.wait(1.0 / per_s):
        gate_id = rng.choice(gates)[0]
        stamp = datetime.now(UTC).isoformat()
        event = Event(uuid.uuid4().hex, "stranger", gate_id, None, None, None, None, stamp, False)
        publish_event(client, event, 1000)
        sent += 1
    return sent


def run_load(args: argparse.Namespace, env: dict[str, str], root: Path) -> dict:
    """Fill, start the web app, measure the pages alone and under the polling load; the result."""
    gates, fill_s = fill_site(args)
    web = gunicorn_app(env, root / "web.log", workers=args.web_workers, threads=args.web_threads)
    web.start(timeout=90)
    base_url = web.url
    try:
        session = admin_session(base_url)
        urls = log_page_urls(session, base_url)  # also warms the connection pool and templates
        alone = page_latencies(session, urls, args.page_requests)
        clients = PollingClients(base_url, gates, args.wait_s)
        clients.start()
        stop = threading.Event()
        published = [0]
        publisher = threading.Thread(
            target=lambda: published.__setitem__(0, publish_events(get_redis(env["REDIS_URL"]), gates, 20, stop)),
            daemon=True,
        )
        time.sleep(2.0)
        publisher.start()
        loaded_started = time.monotonic()
        loaded = page_latencies(session, urls, args.page_requests)
        time.sleep(max(0.0, args.duration_s - (time.monotonic() - loaded_started)))
        stop.set()
        publisher.join()
        time.sleep(2.0)
        clients.stop()
    finally:
        web.stop()
    return {
        "rows": args.rows,
        "fill_s": round(fill_s, 1),
        "clients": args.clients,
        "web_workers": args.web_workers,
        "web_threads": args.web_threads,
        "pages_alone": alone,
        "pages_under_load": loaded,
        "events_published": published[0],
        "events_delivered": len(clients.latencies),
        "delivery_p50_ms": percentile([v * 1000 for v in clients.latencies], 50),
        "delivery_p99_ms": percentile([v * 1000 for v in clients.latencies], 99),
        "polls": clients.polls,
        "poll_errors": clients.errors,
    }


def print_table(result: dict) -> None:
    """The page timings, then the polling figures."""
    print(f"rows={result['rows']} (filled in {result['fill_s']} s), gate clients={result['clients']}, gunicorn "
          f"{result['web_workers']} workers x {result['web_threads']} threads")  # fmt: skip
    print("log page        | phase      | p50 ms | p95 ms | max ms | errors")
    for phase in ("pages_alone", "pages_under_load"):
        for name, row in result[phase].items():
            print(
                f"{name:15} | {phase[6:]:10} | {row['p50_ms']:6.0f} | {row['p95_ms']:6.0f} | {row['max_ms']:6.0f} | "
                f"{row['errors']}"
            )
    print(
        f"long polls: {result['polls']} answered, {result['poll_errors']} errors; events published "
        f"{result['events_published']}, delivered {result['events_delivered']}, delivery p50 "
        f"{result['delivery_p50_ms']:.0f} ms, p99 {result['delivery_p99_ms']:.0f} ms"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="long-polling gate clients (one gate each)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="log rows in the database")
    parser.add_argument("--staff", type=int, default=50, help="people the rows belong to")
    parser.add_argument("--duration-s", type=float, default=30.0, help="how long the gate clients poll")
    parser.add_argument("--wait-s", type=float, default=20.0, help="each long poll's wait")
    parser.add_argument("--page-requests", type=int, default=20, help="views of each admin page per phase")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--web-threads", type=int, default=128, help="gunicorn threads per worker")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument(
        "--mysql-url", default=os.environ.get("FACEGATE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="a Redis database the bench may flush")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 1000 and 10_000 <= args.rows <= 5_000_000 and 0 < args.duration_s <= 600):
        parser.error("need 1-1000 clients, 10,000-5,000,000 rows and a duration of at most 600 s")
    if not (1 <= args.web_workers <= 16 and 1 <= args.web_threads <= 1000):
        parser.error("need 1-16 web workers and 1-1000 threads each")
    if args.staff < 8:
        parser.error("need at least 8 staff (the person pages filter on L0007)")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the load benchmark and print its table or JSON."""
    args = parse_args(argv)
    with scratch_site(args.mysql_url, args.redis_url) as (env, root):
        result = run_load(args, env, root)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
