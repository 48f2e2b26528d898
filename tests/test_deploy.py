"""The server's systemd units and settings file in deploy/: they run what the project has, cover every queue once,
and name only settings app/config.py knows."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest

from celery_config import QUEUES

SERVER_UNITS = ("facegate-web", "facegate-worker-recognize", "facegate-worker-enrolment", "facegate-beat",
                "facegate-ingest")  # fmt: skip


def unit(repo_root: Path, name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(repo_root / "deploy" / f"{name}.service")
    return parser


@pytest.mark.parametrize("name", SERVER_UNITS)
def test_each_server_unit_runs_the_project_with_the_site_settings(repo_root, name) -> None:
    service = unit(repo_root, name)["Service"]
    assert service["User"] == "facegate" and service["EnvironmentFile"] == "/etc/facegate/facegate.env"
    assert service["NoNewPrivileges"] == "yes" and service["Restart"] == "always"
    command = shlex.split(service["ExecStart"])
    assert command[0].startswith("/opt/facegate/venv/bin/")
    if name == "facegate-web":
        assert command[1:] == ["-c", "/opt/facegate/src/gunicorn.conf.py", "wsgi:app"]
        assert (repo_root / "gunicorn.conf.py").is_file()


def test_the_worker_units_take_every_queue_exactly_once(repo_root) -> None:
    taken = []
    for name in ("facegate-worker-recognize", "facegate-worker-enrolment"):
        command = shlex.split(unit(repo_root, name)["Service"]["ExecStart"])
        taken += command[command.index("-Q") + 1].split(",")
    assert sorted(taken) == sorted(QUEUES)


def test_the_example_settings_name_only_known_variables(repo_root) -> None:
    config_source = (repo_root / "app" / "config.py").read_text()
    readme = (repo_root / "README.md").read_text()
    names = re.findall(r"^([A-Z_]+)=", (repo_root / "deploy" / "facegate.env").read_text(), re.MULTILINE)
    assert {"DATABASE_URL", "SECRET_KEY", "FACEGATE_TLS_CERT", "FACEGATE_TLS_KEY"} <= set(names)
    for name in names:
        assert f'"{name}"' in config_source and f"`{name}`" in readme, name
