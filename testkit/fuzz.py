"""Malformed HTTP requests, written byte by byte, and a runner that sends them at a server and counts the answers.

Used by the fuzz test (tests/web/test_api_fuzz.py) and `python -m bench.fuzz`. A request is raw bytes on its own
connection, so anything can be wrong with it: the method, the path (every /api/ route of the app with bad values in
its slots, and paths that match none), the query, the headers (tokens, Content-Length, Transfer-Encoding, lines
without a colon, lines too long), the body (junk, JSON of the wrong shape, nested 100,000 deep, 2 MB) and its length
(announced but cut short, or announced at 10 GB). Each answer's status is counted; a connection the server closes
without answering (gunicorn does that for some request lines it cannot parse) or that stays silent is counted too.
"""

from __future__ import annotations

import json
import random
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import redis
import requests
import sqlalchemy as sa

from app.gates.stream import ALL_EVENTS_KEY
from app.redis_client import get_redis

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get",
           "G ET", "GET\x00", "\xff\xfe", "", "X" * 300)  # fmt: skip
NASTY_VALUES = ("nan", "NaN", "inf", "-inf", "Infinity", "-1", "-0", "0", "1e400", "9" * 400, "", " ", "%00",
                "%ff%fe", "0x10", "1_0", "\u0663", "1-2-3", "18446744073709551616-0", "0-18446744073709551616",
                "$", ">", "'; DROP TABLE gates; --", "../../etc/passwd", "<script>", "true", "null", "[]", "{}",
                "2147483648", "-2147483649", "1.5", "1e-400", "A" * 5000)  # fmt: skip
QUERY_KEYS = ("wait", "after", "id", "ids", "gate", "cursor", "limit", "since", "until", "page", "sort", "staff",
              "from", "to", "q")  # fmt: skip
PATH_VALUES = ("0", "1", "-1", "2147483648", "9" * 40, "abc", "%00", "%ff", "..", "nan", "1e9", "1.0", "A" * 3000)
CONTENT_TYPES = ("application/json", "application/json; charset=latin-1", "text/plain", "multipart/form-data",
                 "multipart/form-data; boundary=", "application/x-www-form-urlencoded", "image/jpeg",
                 "\x01")  # fmt: skip
STATUS_LINE = re.compile(rb"^HTTP/\d\.\d (\d{3})")
# A door report that is valid but for the one field each mutation breaks (a gate's real token goes with it).
DOOR_REPORT = {"id": "r1", "event": "open", "at": "2026-01-01T08:00:05+00:00",
               "opened_at": "2026-01-01T08:00:00+00:00", "relay": True}  # fmt: skip
DOOR_BREAKS = {"id": ("", "x" * 65, "a b", 7, None, ["r"]), "event": ("opened", "", 1, None, "OPEN"),
               "at": ("soon", "", 1e400, -1, "9999-99-99T99:99:99", "2026-01-01T08:00:00", "1" * 400, None,
                      "0001-01-01T00:00:00+00:00"),
               "opened_at": ("2027-01-01T00:00:00+00:00", "x", None, []), "relay": ("yes", 1, None, {})}  # fmt: skip


@dataclass(frozen=True)
class FuzzRequest:
    """The bytes of one request and whether the client then stops writing (a body cut short)."""

    data: bytes
    half_close: bool = False


@dataclass
class FuzzReport:
    """How the server answered: requests sent, answers by status, answers without a status line (HTTP/0.9),
    connections closed unanswered, silences."""

    sent: int = 0
    statuses: Counter = field(default_factory=Counter)
    no_status_line: int = 0
    closed_unanswered: int = 0
    timed_out: int = 0
    errors: Counter = field(default_factory=Counter)

    @property
    def server_errors(self) -> int:
        """Answers of 500 or more."""
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def as_dict(self) -> dict:
        """The report as plain JSON-ready data."""
        return {"sent": self.sent, "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "server_errors": self.server_errors, "no_status_line": self.no_status_line,
                "closed_unanswered": self.closed_unanswered,
                "timed_out": self.timed_out, "errors": dict(self.errors)}  # fmt: skip


def _encode(text: str) -> bytes:
    return text.encode("latin-1", "replace")


def api_paths(rules: list[str], rng: random.Random) -> str:
    """A path under /api/: one of the app's rules with a bad value in each slot, or one that matches none."""
    if rng.random() < 0.2:
        return "/api/" + rng.choice(("", "gates", "gates//events", "v1/", "v2/x", "%2e%2e/admin", "../admin/",
                                     "gates/1/events/extra", rng.choice(PATH_VALUES)))  # fmt: skip
    return re.sub(r"<[^>]+>", lambda _m: rng.choice(PATH_VALUES), rng.choice(rules))


def query(rng: random.Random) -> str:
    """A query string of 0-4 parameters with nasty values (keys repeated now and then)."""
    pairs = [f"{rng.choice(QUERY_KEYS)}={rng.choice(NASTY_VALUES)}" for _ in range(rng.randint(0, 4))]
    return ("?" + "&".join(pairs)) if pairs else rng.choice(("", "?", "?&&", "?=", "?wait"))


def body(rng: random.Random) -> bytes:
    """A request body: junk bytes, JSON of the wrong shape, deeply nested JSON, or 2 MB."""
    choice = rng.randrange(7)
    if choice == 0:
        return rng.randbytes(rng.randint(1, 2000))
    if choice == 1:
        return json.dumps(rng.choice(([], "x", 1e308, None, True, [{}] * 50, {"a": [1, {"b": None}]}))).encode()
    if choice == 2:
        depth = rng.choice((1000, 100_000))
        return b"[" * depth + b"]" * depth
    if choice == 3:
        return b'{"id": "r1", "event": '  # cut short
    if choice == 4:
        return b"NaN" if rng.random() < 0.5 else b'{"at": NaN, "id": Infinity}'
    if choice == 5:
        return b"x" * (2 * 1024 * 1024)
    return json.dumps({rng.choice(QUERY_KEYS): rng.choice(NASTY_VALUES) for _ in range(3)}).encode()


def authorization(rng: random.Random) -> list[str]:
    """Authorization header lines: none, empty, wrong scheme, random tokens, a 10 KB token, two of them."""
    tokens = ("", "Bearer", "Bearer ", "Basic abc", "Bearer " + "a" * 10_000, "Bearer \xff\xfe",
              "Bearer " + rng.randbytes(24).hex(), "bearer " + rng.randbytes(8).hex(), "Token x",
              "Bearer a b c")  # fmt: skip
    return [f"Authorization: {rng.choice(tokens)}" for _ in range(rng.choice((0, 1, 1, 1, 2)))]


def build_request(method: str, target: str, headers: list[str], payload: bytes | None, rng: random.Random,
                  host: str) -> FuzzRequest:  # fmt: skip
    """The bytes of a request, with a Content-Length that is right, missing, wrong or absurd, or chunked badly."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close", *headers]
    half_close = False
    if payload is not None:
        lines.append(f"Content-Type: {rng.choice(CONTENT_TYPES)}")
        framing = rng.randrange(6)
        if framing == 0:
            lines.append(f"Content-Length: {len(payload)}")
        elif framing == 1:  # announced longer than sent, then the client stops writing
            lines.append(f"Content-Length: {len(payload) + rng.randint(1, 10_000)}")
            half_close = True
        elif framing == 2:
            lines.append(f"Content-Length: {rng.choice(('-1', 'abc', '10737418240', '1e3', ' 5', '5, 6'))}")
            half_close = True
        elif framing == 3:
            lines.append("Transfer-Encoding: chunked")
            payload = rng.choice((b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nab", b"0\r\n", payload[:100]))
            half_close = True
        elif framing == 4:
            lines += [f"Content-Length: {len(payload)}", "Transfer-Encoding: chunked"]
        else:
            lines.append(f"Content-Length: {len(payload)}")
            lines.append("Content-Length: 0")
    if rng.random() < 0.15:
        lines.append(rng.choice(("X-Junk", "X-Long: " + "b" * 9000, "Bad Header: x", ": empty", "X-\x00: y",
                                 "X-Forwarded-For: 1.2.3.4")))  # fmt: skip
    head = _encode("\r\n".join(lines) + "\r\n\r\n")
    return FuzzRequest(head + (payload or b""), half_close)


def api_requests(rules: list[str], gate_id: int, gate_token: str, count: int, seed: int,
                 host: str = "127.0.0.1") -> Iterator[FuzzRequest]:  # fmt: skip
    """count malformed requests at the /api/ rules; a fifth carry the gate's real token with a bad parameter or a
    broken door report, so the checks behind authentication are reached too."""
    rng = random.Random(seed)
    real = [f"Authorization: Bearer {gate_token}"]
    for _ in range(count):
        kind = rng.random()
        if kind < 0.1:  # a real token, a bad parameter
            target = f"/api/gates/{rng.choice((gate_id, gate_id, 0, 2**31))}/events{query(rng)}"
            bad = rng.choice(("wait", "after"))
            target += ("&" if "?" in target else "?") + f"{bad}={rng.choice(NASTY_VALUES[:20])}"
            yield build_request("GET", target, real, None, rng, host)
        elif kind < 0.2:  # a real token, a broken door report
            report = dict(DOOR_REPORT)
            broken = rng.choice(list(DOOR_BREAKS))
            report[broken] = rng.choice(DOOR_BREAKS[broken])
            if rng.random() < 0.2:
                report.pop(rng.choice(list(report)))
            payload = json.dumps(report).encode()
            yield build_request("POST", f"/api/gates/{gate_id}/door", real, payload, rng, host)
        else:
            method = rng.choice(METHODS)
            payload = body(rng) if rng.random() < 0.5 else None
            yield build_request(method, api_paths(rules, rng) + query(rng), authorization(rng), payload, rng, host)


def stream_requests(count: int, seed: int, host: str = "127.0.0.1") -> Iterator[FuzzRequest]:
    """count malformed requests at a gate's camera streamer (none carries its secret)."""
    rng = random.Random(seed)
    paths = ("/stream.mjpg", "/snapshot.jpg", "/", "/x", "//stream.mjpg", "/stream.mjpg/../snapshot.jpg", "*",
             "http://evil/", "/" + "s" * 70_000, "/%00")  # fmt: skip
    for _ in range(count):
        method = rng.choice(METHODS)
        payload = body(rng) if rng.random() < 0.3 else None
        version_broken = rng.random() < 0.05
        request = build_request(method, rng.choice(paths) + query(rng), authorization(rng), payload, rng, host)
        if version_broken:
            request = FuzzRequest(request.data.replace(b"HTTP/1.1", rng.choice((b"HTTP/2.0", b"HTTP/9", b"")), 1))
        yield request


def send_one(address: tuple[str, int], request: FuzzRequest, tls: ssl.SSLContext | None,
             timeout: float) -> tuple[str, int | None]:  # fmt: skip
    """Send one request on a new connection: ("status", code); ("no_status_line", None) for an answer without one
    (http.server answers a request line without an HTTP version the HTTP/0.9 way); ("closed", None) when the server
    closed without answering; ("timeout", None) when it said nothing for timeout seconds; ("refused", None) when
    nothing listens."""
    try:
        raw = socket.create_connection(address, timeout=timeout)
    except OSError:
        return "refused", None
    answer = b""
    try:
        with raw, (tls.wrap_socket(raw, server_hostname=address[0]) if tls else raw) as sock:
            try:
                sock.sendall(request.data)
                if request.half_close and not tls:
                    sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server may answer (413, 400) and close before it has read everything
            while b"\r\n" not in answer and (chunk := sock.recv(4096)):
                answer += chunk
    except TimeoutError:
        if not answer:
            return "timeout", None
    except OSError:
        pass  # reset after (or instead of) an answer: whatever arrived counts
    match = STATUS_LINE.match(answer)
    if match:
        return "status", int(match.group(1))
    return ("no_status_line", None) if answer else ("closed", None)


def run(address: tuple[str, int], requests: Iterator[FuzzRequest], tls: ssl.SSLContext | None = None,
        threads: int = 8, timeout: float = 15.0) -> FuzzReport:  # fmt: skip
    """Send every request (threads at a time) and count the answers."""
    report, lock = FuzzReport(), threading.Lock()

    def one(request: FuzzRequest) -> None:
        outcome, status = send_one(address, request, tls, timeout)
        with lock:
            report.sent += 1
            if outcome == "status":
                report.statuses[status] += 1
            elif outcome == "no_status_line":
                report.no_status_line += 1
            elif outcome == "closed":
                report.closed_unanswered += 1
            elif outcome == "timeout":
                report.timed_out += 1
            else:
                report.errors[outcome] += 1

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(one, requests):
            pass
    return report


def table_rows(database_url: str) -> dict[str, int]:
    """{table: row count} of every table of the database at database_url."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            return {name: conn.execute(sa.text(f"SELECT COUNT(*) FROM `{name}`")).scalar_one() for name in tables}
    finally:
        engine.dispose()


def published_events(client: redis.Redis) -> int:
    """Events ever published on the site's all-gates stream (XLEN; nothing is trimmed at these numbers)."""
    return int(client.xlen(ALL_EVENTS_KEY))


def fuzz_gate_api(url: str, database_url: str, redis_url: str, rules: list[str], gate_id: int, token: str,
                  count: int, seed: int, threads: int = 8) -> dict:  # fmt: skip
    """Fuzz the gate API served at url (http://127.0.0.1:port) and check what got through: the report, rows written
    per table, events published, and the gate's normal poll and heartbeat answered afterwards."""
    rows, events = table_rows(database_url), published_events(get_redis(redis_url))
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    started = time.perf_counter()
    report = run((host, int(port)), api_requests(rules, gate_id, token, count, seed), threads=threads)
    seconds = time.perf_counter() - started
    auth = {"Authorization": f"Bearer {token}"}
    poll = requests.get(f"{url}/api/gates/{gate_id}/events", params={"wait": "0"}, headers=auth, timeout=30)
    beat = requests.post(f"{url}/api/gates/{gate_id}/heartbeat", headers=auth, timeout=30)
    after = table_rows(database_url)
    return {**report.as_dict(), "seconds": round(seconds, 1), "requests_per_s": round(report.sent / seconds),
            "rows_written": {name: after[name] - n for name, n in rows.items() if after[name] != n},
            "events_published": published_events(get_redis(redis_url)) - events, "poll_after": poll.status_code,
            "poll_events": poll.json().get("events") if poll.ok else None,
            "heartbeat_after": beat.status_code}  # fmt: skip


def fuzz_streamer(port: int, secret: str, count: int, seed: int, threads: int = 8) -> dict:
    """Fuzz a camera streamer on 127.0.0.1:port (none of the requests carries its secret); the report and the
    status of a snapshot asked for with the secret afterwards."""
    started = time.perf_counter()
    report = run(("127.0.0.1", port), stream_requests(count, seed), threads=threads)
    seconds = time.perf_counter() - started
    snapshot = requests.get(f"http://127.0.0.1:{port}/snapshot.jpg", headers={"Authorization": f"Bearer {secret}"},
                            timeout=30)  # fmt: skip
    return {**report.as_dict(), "seconds": round(seconds, 1), "requests_per_s": round(report.sent / seconds),
            "snapshot_after": snapshot.status_code}  # fmt: skip
