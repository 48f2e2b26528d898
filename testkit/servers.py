"""Private Redis, MariaDB and Mosquitto servers on loopback ports, for runs that stop and restart them (bench.soak,
the MQTT tests): never the shared servers."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import redis
import sqlalchemy as sa

from testkit.processes import ManagedProcess, port_open


def private_redis(root: Path, port: int) -> ManagedProcess:
    """A Redis of our own on port, appending every write to its AOF in root so that a restart keeps the data."""
    root.mkdir(parents=True, exist_ok=True)
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"]
    args += ["--appendfsync", "everysec", "--dir", str(root), "--daemonize", "no"]
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    return ManagedProcess("redis", args, dict(os.environ), root / "redis.log", ready=lambda: bool(client.ping()))


def private_mariadb(root: Path, port: int) -> ManagedProcess:
    """A MariaDB of our own on port with a fresh data directory under root (root@127.0.0.1, no password)."""
    datadir = root / "data"
    install = [
        "mariadb-install-db",
        "--no-defaults",
        f"--datadir={datadir}",
        "--auth-root-authentication-method=normal",
    ]
    subprocess.run(install, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    server = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    args = [server, "--no-defaults", f"--datadir={datadir}", f"--port={port}", "--bind-address=127.0.0.1"]
    args += [f"--socket={root / 'mysqld.sock'}", "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=1"]
    if os.geteuid() == 0:
        args.append("--user=root")
    engine = sa.create_engine(f"mysql+pymysql://root@127.0.0.1:{port}", poolclass=sa.pool.NullPool)

    def ready() -> bool:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT 1")).scalar() == 1

    return ManagedProcess("mariadb", args, dict(os.environ), root / "mariadb.log", ready=ready)


def private_mosquitto(root: Path, port: int, extra_config: str = "") -> ManagedProcess:
    """A Mosquitto broker of our own on 127.0.0.1:port, anonymous unless extra_config says otherwise; it keeps its
    sessions and queued messages in root across a restart (persistence), like a production broker."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / "mosquitto.conf"
    lines = [f"listener {port} 127.0.0.1", "persistence true", f"persistence_location {root}/", "log_dest stdout"]
    if os.geteuid() == 0:
        lines.append("user root")  # else it drops to the mosquitto user, who cannot write root's folder
    if "password_file" not in extra_config:
        lines.append("allow_anonymous true")
    config.write_text("\n".join(lines) + "\n" + extra_config)
    server = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    return ManagedProcess("mosquitto", [server, "-c", str(config)], dict(os.environ), root / "mosquitto.log",
                          ready=port_open(port))
