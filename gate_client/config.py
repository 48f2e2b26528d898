"""The gate client's settings: a TOML file (default /etc/facegate/gate.toml) overridden by command-line options."""

from __future__ import annotations

import argparse
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlparse

from gate_client.hardware import PIN_FACTORIES
from gate_client.voice import VOICE_MODES

DEFAULT_CONFIG_PATH = Path("/etc/facegate/gate.toml")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A setting that is missing, of the wrong type or out of range; the message names it."""


@dataclass(frozen=True)
class GateConfig:
    """Everything the gate client needs to know (see deploy/gate.toml for what each setting means)."""

    server_url: str
    gate_id: int
    token: str
    ca_file: Path | None = None
    allow_insecure: bool = False
    open_seconds: float = 5.0
    poll_wait: float = 25.0
    heartbeat_interval: float = 20.0
    max_event_age: float = 30.0
    retry_max: float = 4.0
    cursor_file: Path = Path("/var/lib/facegate/cursor.json")
    log_level: str = "INFO"
    pins: str = "rpigpio"
    green_pin: int = 17
    red_pin: int = 27
    relay_pin: int = 22
    relay_active_low: bool = False
    pin_log: Path | None = None
    # The door contact and the exit button (both optional) and how they are debounced and reported (gate_client/
    # door.py); mock pins only: a JSON-lines file that drives the input pins (gate_client/mock_inputs.py).
    door_contact_pin: int | None = None
    exit_button_pin: int | None = None
    door_settle: float = 0.3
    door_report_every: float = 5.0
    pin_input: Path | None = None
    voice: str = "speaker"
    wav_dir: Path = Path("/var/lib/facegate/speech")
    player: str = "aplay -q"


# TOML layout: top-level keys, plus [pins] and [voice] tables whose keys map to these fields.
_TABLES = {
    "pins": {
        "factory": "pins",
        "green": "green_pin",
        "red": "red_pin",
        "relay": "relay_pin",
        "relay_active_low": "relay_active_low",
        "change_log": "pin_log",
        "door_contact": "door_contact_pin",
        "exit_button": "exit_button_pin",
        "input_file": "pin_input",
    },
    "voice": {"mode": "voice", "wav_dir": "wav_dir", "player": "player"},
}
_TOP_LEVEL = (
    "server_url", "gate_id", "token", "ca_file", "allow_insecure", "open_seconds", "poll_wait", "heartbeat_interval",
    "max_event_age", "retry_max", "cursor_file", "log_level", "door_settle", "door_report_every",
)  # fmt: skip
_TYPES = {field.name: field.type for field in fields(GateConfig)}


def read_toml(path: Path) -> dict:
    """The settings in the TOML file at path, keyed by GateConfig field; ConfigError for unknown keys."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    settings = {}
    for key, value in data.items():
        if key in _TABLES and not isinstance(value, dict):
            raise ConfigError(f"{path}: [{key}] must be a table (a [{key}] section), got {value!r}")
        if key in _TABLES:
            for sub_key, sub_value in value.items():
                if sub_key not in _TABLES[key]:
                    raise ConfigError(f"{path}: unknown setting [{key}] {sub_key}")
                settings[_TABLES[key][sub_key]] = sub_value
        elif key in _TOP_LEVEL:
            settings[key] = value
        else:
            raise ConfigError(f"{path}: unknown setting {key!r}")
    return settings


def _coerce(name: str, value: object) -> object:
    kind = _TYPES[name]
    try:
        if kind == "bool":
            if not isinstance(value, bool):
                raise TypeError
            return value
        if kind in ("int", "int | None"):
            if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
                raise TypeError
            return int(value)
        if kind == "float":
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if kind in ("Path", "Path | None"):
            return Path(str(value)).expanduser()
        if not isinstance(value, str):
            raise TypeError
        return value
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be {kind.replace('Path', 'a path')}, got {value!r}") from None


def build_config(settings: dict) -> GateConfig:
    """A checked GateConfig from settings keyed by field name; ConfigError for anything missing or wrong."""
    missing = [name for name in ("server_url", "gate_id", "token") if not settings.get(name)]
    if missing:
        raise ConfigError(f"missing setting(s): {', '.join(missing)} (in the config file or as options)")
    config = GateConfig(**{name: _coerce(name, value) for name, value in settings.items()})
    url = urlparse(config.server_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ConfigError(f"server_url must be an http(s) URL, got {config.server_url!r}")
    if url.scheme == "http" and not config.allow_insecure:
        raise ConfigError(
            f"server_url {config.server_url!r} is plain http://: the gate's token and events would cross the network "
            "unencrypted. Use https:// (with ca_file, the site CA), or set allow_insecure = true"
        )
    if config.ca_file is not None and not config.ca_file.is_file():
        raise ConfigError(f"ca_file {str(config.ca_file)!r} is not a file")
    for name in ("open_seconds", "heartbeat_interval", "retry_max"):
        if getattr(config, name) <= 0:
            raise ConfigError(f"{name} must be more than 0, got {getattr(config, name)}")
    for name in ("poll_wait", "max_event_age"):
        if getattr(config, name) < 0:
            raise ConfigError(f"{name} must not be negative, got {getattr(config, name)}")
    pins = (config.green_pin, config.red_pin, config.relay_pin)
    if len(set(pins)) != 3 or not all(0 <= pin <= 27 for pin in pins):
        raise ConfigError(f"green_pin, red_pin and relay_pin must be three different BCM numbers 0-27, got {pins}")
    inputs = tuple(pin for pin in (config.door_contact_pin, config.exit_button_pin) if pin is not None)
    if len(set(pins + inputs)) != len(pins) + len(inputs) or not all(0 <= pin <= 27 for pin in inputs):
        raise ConfigError(f"door_contact_pin and exit_button_pin must be BCM numbers 0-27 that no other part uses, "
                          f"got {inputs} beside {pins}")
    if not 0 < config.door_settle <= 5 or config.door_report_every <= 0:
        raise ConfigError(f"door_settle must be more than 0 and at most 5 s and door_report_every more than 0, got "
                          f"{config.door_settle} and {config.door_report_every}")
    if config.pin_input is not None and config.pins != "mock":
        raise ConfigError("[pins] input_file drives mock pins only: set pins (factory) to mock")
    for name, value, allowed in (
        ("pins", config.pins, PIN_FACTORIES),
        ("voice", config.voice, VOICE_MODES),
        ("log_level", config.log_level, LOG_LEVELS),
    ):
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return config


def argument_parser() -> argparse.ArgumentParser:
    """The command line of `python -m gate_client`; every option overrides the config file."""
    parser = argparse.ArgumentParser(
        prog="python -m gate_client",
        description="Drive a facegate door (relay, LEDs, voice) from the server's gate events.",
    )
    parser.add_argument("--config", type=Path, help=f"TOML settings file (default {DEFAULT_CONFIG_PATH}, if present)")
    parser.add_argument("--release", action="store_true", help="only release the relay, then exit (ExecStopPost)")
    parser.add_argument("--server-url", dest="server_url", help="the facegate server, e.g. http://10.0.0.5:5000")
    parser.add_argument("--gate-id", dest="gate_id", help="this gate's id on the server")
    parser.add_argument("--token", help="this gate's API token (better kept in the config file)")
    parser.add_argument("--ca-file", dest="ca_file", help="the site CA (PEM) the https:// server must be signed by")
    parser.add_argument(
        "--allow-insecure",
        dest="allow_insecure",
        action="store_true",
        default=None,
        help="allow a plain http:// server_url (the token crosses the network unencrypted)",
    )
    parser.add_argument("--open-seconds", dest="open_seconds", help="how long the relay stays energised")
    parser.add_argument("--poll-wait", dest="poll_wait", help="long-poll wait in seconds (the server caps it)")
    parser.add_argument("--heartbeat-interval", dest="heartbeat_interval", help="seconds between heartbeats")
    parser.add_argument("--max-event-age", dest="max_event_age", help="ignore older events (seconds; 0 = never)")
    parser.add_argument("--retry-max", dest="retry_max", help="longest wait between retries in seconds")
    parser.add_argument("--cursor-file", dest="cursor_file", help="where the stream position is kept")
    parser.add_argument("--log-level", dest="log_level", choices=LOG_LEVELS)
    parser.add_argument("--pins", choices=PIN_FACTORIES, help="GPIO library: rpigpio, lgpio (Pi 5), auto or mock")
    parser.add_argument("--green-pin", dest="green_pin", help="BCM number of the green LED")
    parser.add_argument("--red-pin", dest="red_pin", help="BCM number of the red LED")
    parser.add_argument("--relay-pin", dest="relay_pin", help="BCM number of the relay input")
    parser.add_argument(
        "--relay-active-low",
        dest="relay_active_low",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the relay module energises when its input is low",
    )
    parser.add_argument("--pin-log", dest="pin_log", help="mock pins only: append each pin change here (JSON lines)")
    parser.add_argument("--door-contact-pin", dest="door_contact_pin", help="BCM number of the door contact")
    parser.add_argument("--exit-button-pin", dest="exit_button_pin", help="BCM number of the request-to-exit button")
    parser.add_argument("--door-settle", dest="door_settle", help="seconds an input must be steady (debounce)")
    parser.add_argument("--door-report-every", dest="door_report_every",
                        help="while the door is open, report it again every this many seconds")
    parser.add_argument("--pin-input", dest="pin_input", help="mock pins only: drive input pins from this file")
    parser.add_argument("--voice", choices=VOICE_MODES, help="speaker, wav (keep WAV files) or off")
    parser.add_argument("--wav-dir", dest="wav_dir", help="where the wav voice mode keeps its files")
    parser.add_argument("--player", help="command that plays a WAV file in the speaker mode")
    return parser


def load_config(argv: list[str] | None = None) -> tuple[GateConfig, argparse.Namespace]:
    """The settings from the config file and the command line, and the parsed options; ConfigError when wrong."""
    options = argument_parser().parse_args(argv)
    settings: dict = {}
    if options.config is not None:
        settings.update(read_toml(options.config))
    elif DEFAULT_CONFIG_PATH.exists():
        settings.update(read_toml(DEFAULT_CONFIG_PATH))
    for name in _TYPES:
        value = getattr(options, name, None)
        if value is not None:
            settings[name] = value
    return build_config(settings), options
