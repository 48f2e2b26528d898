"""What ships to the Pi: gate_client imports nothing from app/ nor the server's heavy libraries; --release works."""

from __future__ import annotations

import json
import subprocess
import sys


def test_gate_client_imports_nothing_from_the_server() -> None:
    check = (
        "import sys, gate_client.client, gate_client.stream, gate_client.camera\n"
        "heavy = ('app', 'flask', 'sqlalchemy', 'celery', 'tensorflow', 'sklearn', 'cv2', 'redis')\n"
        "print([m for m in sys.modules if m.split('.')[0] in heavy])\n"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_release_only_mode_drives_the_relay_released_and_exits(tmp_path) -> None:
    pin_log = tmp_path / "pins.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "gate_client", "--config", str(tmp_path / "none.toml"), "--release"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "cannot read" in result.stderr
    config = tmp_path / "gate.toml"
    config.write_text('server_url = "http://127.0.0.1:9"\nallow_insecure = true\ngate_id = 1\ntoken = "t"\n')
    command = [sys.executable, "-m", "gate_client", "--config", str(config), "--release", "--relay-active-low",
               "--pins", "mock", "--pin-log", str(pin_log)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "relay released (pin 22)" in result.stderr
    # Active low: released means the relay input is driven high.
    assert [json.loads(line)["state"] for line in pin_log.read_text().splitlines()] == [1]


def test_the_default_pins_off_a_pi_are_a_clear_error(tmp_path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text('server_url = "http://127.0.0.1:9"\nallow_insecure = true\ngate_id = 1\ntoken = "t"\n')
    result = subprocess.run(
        [sys.executable, "-m", "gate_client", "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3 and "cannot drive the gate's pins: rpigpio pins are not available" in result.stderr
