"""The gate endpoint on the real MariaDB and Redis: auth, isolation, cursor resume, long-poll, heartbeat."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from app.accounts import create_gate
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
def gates(db, redis_client):
    front, front_token = create_gate("Front", "0")
    back, back_token = create_gate("Back", "1")
    return {"front": (front.id, front_token), "back": (back.id, back_token)}


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


def test_bad_cursor_or_wait_is_a_clear_400(client, gates) -> None:
    gate_id, token = gates["front"]
    url = f"/api/gates/{gate_id}/events"
    response = client.get(url, query_string={"after": "$"}, headers=auth(token))
    assert response.status_code == 400 and "cursor" in response.get_json()["error"]
    response = client.get(url, query_string={"wait": "soon"}, headers=auth(token))
    assert response.status_code == 400 and "wait" in response.get_json()["error"]


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
