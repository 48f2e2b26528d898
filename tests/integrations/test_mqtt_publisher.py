"""The MQTT publisher against a real Mosquitto: topics and payloads, retained state, Home Assistant discovery, the
last will, presence from heartbeats, event types it does not know, a broker refusing the credentials."""

from __future__ import annotations

import json
from datetime import timedelta

from app.extensions import db as _db
from app.gates.stream import gate_stream_key
from app.integrations.status import read_statuses
from app.models import Gate
from app.models.types import utcnow
from testkit.mqtt import MqttRecorder
from testkit.processes import wait_until
from testkit.servers import private_mosquitto

from .conftest import mqtt_config, publish


def test_events_state_and_discovery_reach_the_broker(app, gates, rds, broker, recorder, start_publisher) -> None:
    front, back = gates["Front door"], gates["Back door"]
    publisher = start_publisher(mqtt_config(app, broker.port))
    assert wait_until(lambda: recorder.on("facegate/v1/status") and recorder.on("facegate/v1/status")[-1].payload
                      == "online", 10)
    granted = publish(rds, front, "granted")
    stranger = publish(rds, back, "stranger")
    events_topic = f"facegate/v1/gates/{front}/events"
    assert wait_until(lambda: recorder.on(events_topic) and recorder.on(f"facegate/v1/gates/{back}/events"), 10)

    payload = recorder.on(events_topic)[0].json()
    assert payload["id"] == granted.id and payload["type"] == "granted" and payload["name"] == "Ada Lovelace"
    assert payload["v"] == 1 and payload["gate_name"] == "Front door" and payload["stream_id"]
    assert not recorder.on(events_topic)[0].retained
    assert recorder.on(f"facegate/v1/gates/{back}/events")[0].json()["id"] == stranger.id

    def state(gate_id: int) -> dict:
        return recorder.on(f"facegate/v1/gates/{gate_id}/state")[-1].json()

    assert wait_until(lambda: state(front)["last_decision"] == "granted", 5)
    assert state(front)["last_person"] == "Ada Lovelace" and state(front)["gate_name"] == "Front door"
    assert state(back)["last_decision"] == "stranger" and state(back)["last_person"] == "stranger"
    # A grant unlocks the door; it shows locked again MQTT_RELOCK_S (5 s) after the grant.
    assert any(message.json()["lock"] == "unlocked" for message in recorder.on(f"facegate/v1/gates/{front}/state"))
    assert wait_until(lambda: state(front)["lock"] == "locked", 10)

    config_topic = f"homeassistant/sensor/facegate_gate_{front}/last_person/config"
    assert wait_until(lambda: recorder.on(config_topic), 5)
    config = recorder.on(config_topic)[-1].json()
    assert config["device"]["name"] == "Front door" and config["state_topic"] == f"facegate/v1/gates/{front}/state"
    assert config["availability_topic"] == "facegate/v1/status"
    configs = recorder.matching(lambda m: m.topic.startswith("homeassistant/") and f"gate_{front}/" in m.topic)
    assert wait_until(lambda: len({m.topic for m in recorder.matching(lambda m: f"facegate_gate_{front}/" in m.topic)})
                      == 6, 5)  # fmt: skip
    assert {message.topic.split("/")[1] for message in configs} == {"sensor", "binary_sensor"}

    publisher.stop()
    assert recorder.on("facegate/v1/status")[-1].payload == "offline"
    # A new subscriber sees the retained state, status and discovery, not the events.
    late = MqttRecorder(broker.port, ["#"], client_id="late-subscriber")
    try:
        assert wait_until(lambda: late.on(f"facegate/v1/gates/{front}/state") and late.on("facegate/v1/status"), 5)
        assert late.on("facegate/v1/status")[-1].payload == "offline"
        assert late.on(config_topic)[-1].retained and not late.on(events_topic)
    finally:
        late.close()


def test_a_crash_leaves_the_last_will_and_a_deleted_gate_leaves_home_assistant(
    app, gates, rds, broker, recorder, start_publisher
) -> None:
    publisher = start_publisher(mqtt_config(app, broker.port))
    front = gates["Front door"]
    config_topic = f"homeassistant/binary_sensor/facegate_gate_{front}/online/config"
    assert wait_until(lambda: recorder.on(config_topic), 10)
    _db.session.delete(_db.session.get(Gate, front))
    _db.session.commit()
    assert wait_until(lambda: recorder.on(config_topic)[-1].payload == "", 10)
    publisher.stop()

    broker.stop()
    broker.start(timeout=20)
    assert wait_until(recorder.connected.is_set, 10)
    # The broker kept the retained removal across its restart: nothing to discover for the deleted gate.
    late = MqttRecorder(broker.port, ["homeassistant/#"], client_id="late-after-delete")
    try:
        wait_until(lambda: late.messages, 2)
        assert not late.on(config_topic)
    finally:
        late.close()


def test_presence_from_heartbeats_is_published_in_order_with_the_decisions(
    app, gates, rds, broker, recorder, start_publisher
) -> None:
    front = gates["Front door"]
    gate = _db.session.get(Gate, front)
    gate.last_heartbeat_at = utcnow()
    _db.session.commit()
    start_publisher(mqtt_config(app, broker.port))
    state_topic = f"facegate/v1/gates/{front}/state"
    def online() -> str:
        return recorder.on(state_topic)[-1].json()["online"]

    assert wait_until(lambda: online() == "online", 10)
    publish(rds, front, "denied")
    gate.last_heartbeat_at = utcnow() - timedelta(minutes=5)
    _db.session.commit()
    assert wait_until(lambda: online() == "offline", 10)
    kinds = [message.json()["type"] for message in recorder.on(f"facegate/v1/gates/{front}/events")]
    assert kinds == ["gate_online", "denied", "gate_offline"]
    # The gate's own stream carries them too, so the gate endpoint and webhooks see the same order.
    assert [json.loads(fields["event"])["type"] for _id, fields in rds.xrange(gate_stream_key(front))] == kinds


def test_event_types_it_does_not_know_flow_through(app, gates, rds, broker, recorder, start_publisher) -> None:
    front = gates["Front door"]
    start_publisher(mqtt_config(app, broker.port))
    # Other parts of facegate put their own kinds of event on the stream (door events, a kind nobody knows yet).
    base = {"gate_id": front, "timestamp": "2026-11-30T08:00:00+00:00"}
    kinds = ["door_forced_open", "alarm_acknowledged", "door_closed", "hold_open", "elevator_called"]
    for n, kind in enumerate(kinds):
        rds.xadd(gate_stream_key(front), {"event": json.dumps({**base, "id": f"e{n}", "type": kind})})
    events_topic = f"facegate/v1/gates/{front}/events"
    assert wait_until(lambda: len(recorder.on(events_topic)) == len(kinds), 10)
    assert [message.json()["type"] for message in recorder.on(events_topic)] == kinds
    state_topic = f"facegate/v1/gates/{front}/state"
    assert wait_until(lambda: recorder.on(state_topic)[-1].json()["last_event"] == "elevator_called", 5)
    states = [message.json() for message in recorder.on(state_topic)]
    final = states[-1]
    assert (final["alarm"], final["door"], final["lock"]) == ("off", "closed", "unlocked")  # held open until it ends


def test_a_broker_refusing_the_credentials_is_a_clear_error_and_nothing_is_lost(
    app, gates, rds, tmp_path, start_publisher, caplog
) -> None:
    import subprocess

    from testkit.processes import free_port

    port = free_port()
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "facegate", "right"], check=True)
    secured = private_mosquitto(tmp_path / "secured", port, f"password_file {passwords}\nallow_anonymous false\n")
    secured.start(timeout=20)
    try:
        front = gates["Front door"]
        event = publish(rds, front, "granted")
        wrong = start_publisher(mqtt_config(app, port, MQTT_URL=f"mqtt://facegate:wrong@127.0.0.1:{port}"))
        assert wait_until(lambda: "refused the connection" in caplog.text, 10)
        assert "Not authorized" in caplog.text or "Bad user name or password" in caplog.text
        status = read_statuses(rds)["mqtt"]
        assert status["state"] == "error" and "refused the connection" in status["detail"]  # shown to admins
        wrong.stop()
        assert rds.hget("facegate:integrations:mqtt:cursors", str(front)) is None

        recorder = MqttRecorder(port, ["facegate/#"], client_id="secured-recorder", auth=("facegate", "right"))
        try:
            start_publisher(mqtt_config(app, port, MQTT_USERNAME="facegate", MQTT_PASSWORD="right"))
            topic = f"facegate/v1/gates/{front}/events"
            assert wait_until(lambda: recorder.on(topic), 10)
            assert recorder.on(topic)[0].json()["id"] == event.id
        finally:
            recorder.close()
    finally:
        secured.stop(timeout=10)
