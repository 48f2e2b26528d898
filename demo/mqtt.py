"""The demo's MQTT side: publish the gates' events to a local Mosquitto when one runs or is installed, with the
publisher facegate ships (`flask integrations mqtt`), and say how to watch them with mosquitto_sub."""

from __future__ import annotations

import shutil
from pathlib import Path

from demo.processes import demo_child, matches, say
from testkit.processes import ManagedProcess, port_open
from testkit.servers import private_mosquitto

MQTT_PORT = 1883


def start_mqtt(mqtt_url: str, root: Path, env: dict[str, str], children: list[ManagedProcess]) -> str | None:
    """Start the MQTT publisher (and, if no broker answers on 127.0.0.1:1883 but Mosquitto is installed, a broker of
    the demo's own there); the broker URL, or None when there is none (mqtt_url "none", or nothing installed)."""
    if mqtt_url == "none":
        return None
    if mqtt_url == "auto":
        if not port_open(MQTT_PORT)():
            if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
                say("MQTT: no broker on 127.0.0.1:1883 and Mosquitto is not installed "
                    "(apt-get install mosquitto mosquitto-clients): not publishing over MQTT")
                return None
            say(f"MQTT: starting a Mosquitto of the demo's own on 127.0.0.1:{MQTT_PORT}")
            broker = private_mosquitto(root / "mosquitto", MQTT_PORT)
            children.append(broker)
            broker.start(timeout=20)
        mqtt_url = f"mqtt://127.0.0.1:{MQTT_PORT}"
    say(f"MQTT: publishing the gates' events to {mqtt_url}")
    args = ["flask", "--app", "wsgi", "integrations", "mqtt"]
    publisher = demo_child("mqtt", args, {**env, "FACEGATE_MQTT_URL": mqtt_url}, root / "logs" / "mqtt.log",
                           matches(" ERROR ", "Traceback"))
    children.append(publisher)
    publisher.start(timeout=None)
    return mqtt_url


def watch_hint(mqtt_url: str) -> str:
    """The banner line that tells how to see the messages."""
    host_port = mqtt_url.split("://", 1)[1].rsplit("@", 1)[-1]
    host, _, port = host_port.partition(":")
    return f"  MQTT:       mosquitto_sub -h {host} -p {port or MQTT_PORT} -t 'facegate/#' -v   (events, state)"
