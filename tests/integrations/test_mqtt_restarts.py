"""At least once and in order per gate, across a broker restart and a publisher crash: the publisher runs as its own
process (`flask integrations mqtt`) against a real Mosquitto while events stream in."""

from __future__ import annotations

import os
import threading
import time

import pytest

from app.accounts import create_gate
from testkit.mqtt import mqtt_publisher
from testkit.processes import wait_until

from .conftest import publish

GATES = 3
EVENTS = 150


@pytest.mark.slow
def test_no_event_is_lost_or_reordered_across_broker_and_publisher_restarts(
    test_env, db, rds, broker, recorder, tmp_path
) -> None:
    gate_ids = [create_gate(f"Door {n}", str(n))[0].id for n in range(GATES)]
    publisher = mqtt_publisher({**os.environ, **test_env}, broker.port, tmp_path / "mqtt.log")
    publisher.start()
    assert wait_until(lambda: any(m.payload == "online" for m in recorder.on("facegate/v1/status")), 30)

    produced: dict[int, list[str]] = {gate_id: [] for gate_id in gate_ids}

    def produce() -> None:
        for n in range(EVENTS):
            gate_id = gate_ids[n % GATES]
            produced[gate_id].append(publish(rds, gate_id, "granted" if n % 2 else "denied").id)
            time.sleep(0.04)

    producer = threading.Thread(target=produce)
    producer.start()
    time.sleep(1.5)
    broker.stop(timeout=10)  # the broker goes away mid-stream ...
    time.sleep(1.5)
    broker.start(timeout=20)  # ... and comes back
    time.sleep(1.0)
    publisher.kill()  # facegate's publisher crashes (no clean shutdown: its last will says offline) ...
    time.sleep(0.5)
    publisher.start()  # ... and is started again
    producer.join()
    assert all(len(ids) == EVENTS // GATES for ids in produced.values())

    def received(gate_id: int) -> list[str]:
        return [message.json()["id"] for message in recorder.on(f"facegate/v1/gates/{gate_id}/events")]

    def all_there() -> bool:
        return all(set(produced[gate_id]) <= set(received(gate_id)) for gate_id in gate_ids)

    assert wait_until(all_there, 60), publisher.log_tail()
    for gate_id in gate_ids:
        first_seen = list(dict.fromkeys(received(gate_id)))
        assert first_seen == produced[gate_id], f"gate {gate_id}: events out of order"
    assert "reconnecting" in publisher.log_of(0).read_text() or "retrying" in publisher.log_of(0).read_text()
    assert "offline" in [message.payload for message in recorder.on("facegate/v1/status")]
    publisher.stop(timeout=20)
    assert publisher.proc.returncode == 0
    assert recorder.on("facegate/v1/status")[-1].payload == "offline"
