"""Gate client settings: TOML file, command-line overrides and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate_client.config import ConfigError, load_config

TOML = """
server_url = "http://10.0.0.5:5000"
allow_insecure = true
gate_id = 3
token = "secret"
open_seconds = 4.5

[pins]
factory = "mock"
relay = 23
relay_active_low = true

[voice]
mode = "off"
"""


def test_file_settings_with_command_line_overrides(tmp_path) -> None:
    path = tmp_path / "gate.toml"
    path.write_text(TOML)
    config, options = load_config(["--config", str(path), "--open-seconds", "7", "--no-relay-active-low"])
    assert (config.server_url, config.gate_id, config.token) == ("http://10.0.0.5:5000", 3, "secret")
    assert config.open_seconds == 7.0 and config.relay_pin == 23 and config.relay_active_low is False
    assert config.pins == "mock" and config.voice == "off" and config.green_pin == 17
    assert isinstance(config.cursor_file, Path) and not options.release


def test_the_example_config_in_deploy_is_valid(repo_root, tmp_path) -> None:
    ca_file = tmp_path / "ca.crt"
    ca_file.write_text("a site CA")  # the example names /etc/facegate/ca.crt, which this machine lacks
    config, _ = load_config(["--config", str(repo_root / "deploy" / "gate.toml"), "--ca-file", str(ca_file)])
    assert config.pins == "rpigpio" and config.relay_active_low
    assert config.server_url.startswith("https://") and not config.allow_insecure


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("", [], "missing setting(s): server_url, gate_id, token"),
        ("relay_pin = 4\n" + TOML, [], "unknown setting 'relay_pin'"),
        ('pins = "mock"\n', [], "[pins] must be a table"),
        (TOML.replace("relay = 23", "relais = 23"), [], "unknown setting [pins] relais"),
        (TOML.replace("gate_id = 3", 'gate_id = "three"'), [], "gate_id must be int"),
        (TOML, ["--open-seconds", "soon"], "open_seconds must be float"),
        (TOML, ["--open-seconds", "0"], "open_seconds must be more than 0"),
        (TOML, ["--server-url", "10.0.0.5"], "server_url must be an http(s) URL"),
        (TOML.replace("allow_insecure = true", ""), [], "is plain http://: the gate's token and events would cross"),
        (TOML, ["--server-url", "https://gate.example", "--ca-file", "/nonexistent/ca.crt"], "is not a file"),
        (TOML.replace("allow_insecure = true", 'allow_insecure = "yes"'), [], "allow_insecure must be bool"),
        (TOML, ["--green-pin", "23"], "three different BCM numbers"),
        (TOML.replace('mode = "off"', 'mode = "loud"'), [], "voice must be one of speaker, wav, off"),
        ("gate_id = [", [], "is not valid TOML"),
    ],
)
def test_bad_settings_are_clear_errors(tmp_path, text, args, message) -> None:
    path = tmp_path / "gate.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(["--config", str(path), *args])
    assert message in str(error.value)


def test_a_missing_config_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(["--config", str(tmp_path / "absent.toml")])
