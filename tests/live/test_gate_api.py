"""The gate endpoint on the real MariaDB and Redis: auth, isolation, cursor resume, long-poll, heartbeat."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.gates.stream import Event, publish_event, recent_events
from app.models import Gate
from app.redis_client import get_redis

MAXLEN = 1000


def make_event(gate_id: int, kind: str = "granted", name: str = "Ada Lovelace") -> Event:
    return Event(
        id=uuid.uuid4().hex,
        type=kind,
        gate_id=gate_id,
        staff_id="E042" if kind != "stranger" else None,
        name=name if kind != "stranger" else None,
        first_name=name.split()[0] if kind != "stranger" else None,
        direction="in" if kind == "granted" else None,
        timestamp="2026-01-01T08:00:00+00:00",
        voice=True,
    )


@pytest.fixture()
def streams(app, redis_client):
    return get_redis(app.config["REDIS_URL"])


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_missing_or_bad_token_is_401(client, gates) -> None:
    gate_id, _token = gates["front"]
    assert client.get(f"/api/gates/{gate_id}/events").status_code == 401
    assert client.get(f"/api/gates/{gate_id}/events", headers=auth("nope")).status_code == 401
    response = client.get(f"/api/gates/{gate_id}/events", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401 and "Bearer" in response.headers["WWW-Authenticate"]
    assert client.post(f"/api/gates/{gate_id}/heartbeat").status_code == 401


def test_a_gate_cannot_read_another_gates_events(client, gates, streams) -> None:
    front_id, front_token = gates["front"]
    back_id, back_token = gates["back"]
    publish_event(streams, make_event(front_id), MAXLEN)
    assert client.get(f"/api/gates/{front_id}/events", headers=auth(back_token)).status_code == 403
    assert client.post(f"/api/gates/{front_id}/heartbeat", headers=auth(back_token)).status_code == 403
    back = client.get(f"/api/gates/{back_id}/events", headers=auth(back_token)).get_json()
    assert back == {"events": [], "cursor": "0"}


def test_a_deactivated_gate_is_refused(client, gates, db) -> None:
    gate_id, token = gates["front"]
    db.session.get(Gate, gate_id).active = False
    db.session.commit()
    assert client.get(f"/api/gates/{gate_id}/events", headers=auth(token)).status_code == 403


def test_cursor_resume_delivers_each_event_exactly_once(client, gates, streams) -> None:
    gate_id, token = gates["front"]
    url = f"/api/gates/{gate_id}/events"
    first = [make_event(gate_id) for _ in range(3)]
    for event in first:
        publish_event(streams, event, MAXLEN)
    body = client.get(url, headers=auth(token)).get_json()
    assert [e["id"] for e in body["events"]] == [e.id for e in first]
    assert body["events"][0] == first[0].to_dict()
    cursor = body["cursor"]

    assert client.get(url, query_string={"after": cursor}, headers=auth(token)).get_json() == {
        "events": [],
        "cursor": cursor,
    }
    missed = [make_event(gate_id, "denied"), make_event(gate_id, "stranger")]
    for event in missed:
        publish_event(streams, event, MAXLEN)
    body = client.get(url, query_string={"after": cursor}, headers=auth(token)).get_json()
    assert [e["id"] for e in body["events"]] == [e.id for e in missed]
    again = client.get(url, query_string={"after": body["cursor"]}, headers=auth(token)).get_json()
    assert again["events"] == []
    # "0" (or no cursor) means the whole retained stream.
    everything = client.get(url, query_string={"after": "0"}, headers=auth(token)).get_json()
    assert len(everything["events"]) == 5


def test_publishing_the_same_event_twice_adds_it_once(gates, streams) -> None:
    gate_id, _token = gates["front"]
    event = make_event(gate_id)
    assert publish_event(streams, event, MAXLEN) is not None
    assert publish_event(streams, event, MAXLEN) is None
    assert streams.xlen(f"facegate:gate:{gate_id}:events") == 1


def test_long_poll_wakes_when_an_event_arrives(client, gates, streams) -> None:
    gate_id, token = gates["front"]
    event = make_event(gate_id)
    publisher = threading.Timer(0.5, publish_event, args=(streams, event, MAXLEN))
    publisher.start()
    try:
        body = client.get(f"/api/gates/{gate_id}/events", query_string={"wait": "20"}, headers=auth(token)).get_json()
    finally:
        publisher.join()
    assert [e["id"] for e in body["events"]] == [event.id]


def test_long_poll_times_out_empty_and_keeps_the_cursor(client, gates, streams) -> None:
    gate_id, token = gates["front"]
    started = time.monotonic()
    body = client.get(
        f"/api/gates/{gate_id}/events", query_string={"wait": "0.3", "after": "5-0"}, headers=auth(token)
    ).get_json()
    assert body == {"events": [], "cursor": "5-0"}
    assert time.monotonic() - started >= 0.3


BAD_PARAMETERS = [
    ("wait", "soon"), ("wait", "nan"), ("wait", "NaN"), ("wait", "inf"), ("wait", "-inf"), ("wait", "-1"),
    ("wait", "1e400"), ("wait", "3601"), ("wait", "9" * 400), ("wait", "0x10"),
    ("after", "$"), ("after", "-1"), ("after", "nan"), ("after", "1-2-3"), ("after", "\u0663"),
    ("after", "18446744073709551616-0"), ("after", "0-18446744073709551616"), ("after", "9" * 400),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value"), BAD_PARAMETERS, ids=lambda v: str(v)[:20])
def test_a_bad_parameter_is_a_json_400_that_names_it(client, gates, streams, name, value) -> None:
    gate_id, token = gates["front"]
    publish_event(streams, make_event(gate_id), MAXLEN)
    response = client.get(f"/api/gates/{gate_id}/events", query_string={name: value}, headers=auth(token))
    assert response.status_code == 400, response.data
    assert name in response.get_json()["error"]


def test_the_largest_stream_id_and_a_wait_above_the_cap_are_answered(client, gates, app) -> None:
    gate_id, token = gates["front"]
    top = "18446744073709551615-18446744073709551615"
    response = client.get(f"/api/gates/{gate_id}/events", query_string={"after": top}, headers=auth(token))
    assert response.get_json() == {"events": [], "cursor": top}
    # A gate configured to wait longer than the server's cap is served at the cap, not refused.
    app.config["EVENTS_MAX_WAIT_S"] = 0.2
    try:
        response = client.get(f"/api/gates/{gate_id}/events", query_string={"wait": "60"}, headers=auth(token))
    finally:
        app.config["EVENTS_MAX_WAIT_S"] = 30.0
    assert response.status_code == 200 and len(response.get_json()["events"]) == 0


@pytest.mark.parametrize("gate_path", ["0", "2147483648", "9" * 40])
def test_an_id_out_of_range_is_a_json_400(client, gates, gate_path) -> None:
    _gate_id, token = gates["front"]
    for method, suffix in (("get", "events"), ("post", "heartbeat")):
        response = getattr(client, method)(f"/api/gates/{gate_path}/{suffix}", headers=auth(token))
        assert response.status_code == 400 and "gate id" in response.get_json()["error"]


def test_an_unreachable_event_stream_is_a_json_503_the_gate_retries(client, gates, app, monkeypatch) -> None:
    gate_id, token = gates["front"]
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    polls = client.get(f"/api/gates/{gate_id}/events", headers=auth(token))
    closed = {"id": uuid.uuid4().hex, "event": "closed", "at": "2026-01-01T08:00:00+00:00"}
    door = client.post(f"/api/gates/{gate_id}/door", json=closed, headers=auth(token))
    for response in (polls, door):
        assert response.status_code == 503, response.data
        assert "event stream unavailable" in response.get_json()["error"]
        assert response.headers["Retry-After"] == "1"


def test_unknown_paths_and_methods_under_api_are_json(client, gates) -> None:
    gate_id, token = gates["front"]
    for path in ("/api/gates/-1/events", "/api/gates/abc/events", "/api/nothing"):
        response = client.get(path, headers=auth(token))
        assert response.status_code == 404 and "error" in response.get_json()
    response = client.delete(f"/api/gates/{gate_id}/events", headers=auth(token))
    assert response.status_code == 405 and "error" in response.get_json() and "GET" in response.headers["Allow"]


def test_unknown_tokens_from_one_address_are_rate_limited(client, gates, app) -> None:
    gate_id, token = gates["front"]
    url = f"/api/gates/{gate_id}/events"
    limit = app.config["API_TOKEN_MAX_FAILURES"]
    for attempt in range(limit):
        response = client.get(url, headers=auth(f"guess-{attempt}"))
        assert response.status_code == 401, attempt
    refused = client.get(url, headers=auth("guess-again"))
    assert refused.status_code == 429 and "too many" in refused.get_json()["error"]
    assert 0 < int(refused.headers["Retry-After"]) <= app.config["API_TOKEN_LOCKOUT_S"]
    # The address is refused whatever it sends, until the lock-out ends; another address is not affected.
    assert client.get(url, headers=auth(token)).status_code == 429
    other = client.get(url, headers=auth(token), environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200


def test_a_valid_token_and_missing_tokens_count_no_failure(client, gates, app) -> None:
    gate_id, token = gates["front"]
    url = f"/api/gates/{gate_id}/events"
    for _ in range(app.config["API_TOKEN_MAX_FAILURES"] + 1):
        assert client.get(url, headers=auth(token)).status_code == 200
        assert client.get(url).status_code == 401
    assert client.get(url, headers=auth(token)).status_code == 200


def test_heartbeat_records_when_the_gate_was_last_seen(client, gates, db) -> None:
    gate_id, token = gates["front"]
    assert not db.session.get(Gate, gate_id).is_online()
    response = client.post(f"/api/gates/{gate_id}/heartbeat", headers=auth(token))
    assert response.status_code == 200
    _db.session.expire_all()
    assert db.session.get(Gate, gate_id).is_online()


def test_recent_events_spans_gates_newest_first(gates, streams) -> None:
    front_id, _ = gates["front"]
    back_id, _ = gates["back"]
    older, newer = make_event(front_id), make_event(back_id, "stranger")
    publish_event(streams, older, MAXLEN)
    publish_event(streams, newer, MAXLEN)
    assert [e["id"] for e in recent_events(streams, 10)] == [newer.id, older.id]
    assert [e["id"] for e in recent_events(streams, 1)] == [newer.id]


def test_a_long_poll_holds_no_database_connection_while_it_waits(app, client, gates, db) -> None:
    gate_id, token = gates["front"]
    db.session.close()
    answers = []
    poll = threading.Thread(
        target=lambda: answers.append(
            client.get(f"/api/gates/{gate_id}/events", query_string={"wait": "2"}, headers=auth(token))
        )
    )
    poll.start()
    time.sleep(1.0)
    checked_out = db.engine.pool.checkedout()
    poll.join()
    assert answers[0].status_code == 200 and answers[0].get_json()["events"] == []
    assert checked_out == 0


def test_two_gates_cannot_share_a_token_hash(gates, db) -> None:
    front = db.session.get(Gate, gates["front"][0])
    back = db.session.get(Gate, gates["back"][0])
    back.token_hash = front.token_hash
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
