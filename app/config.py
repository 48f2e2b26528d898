"""One configuration object, read from environment variables with safe defaults, and checked once when it is built.

Every setting the system knows is here; the README's configuration table lists them. Outside the demo
(FACEGATE_DEMO), DATABASE_URL and SECRET_KEY must be set: every host of a site shares one database and one key, so
a host that would quietly fall back to its own SQLite file or its own key stops at start instead.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.recognition.detect import DETECTORS
from app.recognition.embed import EMBEDDERS
from app.recognition.pipeline import SECOND_EMBEDDERS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting that is missing or wrong; str(error) names the variable and what it must be."""


def _env_str(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def mqtt_broker(url: str) -> dict:
    """Host, port, TLS and credentials of an MQTT broker URL (mqtt://[user:pass@]host[:1883] or mqtts://...:8883)."""
    parsed = urlsplit(url)
    if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
        raise ConfigError(f"FACEGATE_MQTT_URL must look like mqtt://host:1883 or mqtts://host:8883, got {url!r}")
    tls = parsed.scheme == "mqtts"
    try:
        port = parsed.port or (8883 if tls else 1883)
    except ValueError as exc:
        raise ConfigError(f"FACEGATE_MQTT_URL has a bad port: {url!r}") from exc
    return {
        "host": parsed.hostname,
        "port": port,
        "tls": tls,
        "username": unquote(parsed.username) if parsed.username else "",
        "password": unquote(parsed.password) if parsed.password else "",
    }


def load_secret_key(instance_dir: Path, demo: bool) -> str:
    """Return SECRET_KEY from the environment; in the demo only, one generated once into instance/secret_key."""
    from_env = os.environ.get("SECRET_KEY", "").strip()
    if from_env:
        return from_env
    if not demo:
        raise ConfigError(
            "SECRET_KEY is not set: every host of a site must sign sessions with the same key "
            "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`, kept out of the repository); "
            "FACEGATE_DEMO=true allows a key generated into the instance folder, for a one-machine demo"
        )
    instance_dir.mkdir(parents=True, exist_ok=True)
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _database_url(instance_dir: Path, demo: bool) -> str:
    """DATABASE_URL; in the demo only, a SQLite file in the instance folder when it is unset."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    if not demo:
        raise ConfigError(
            "DATABASE_URL is not set: every host of a site must use the same database "
            "(e.g. mysql+pymysql://facegate:PASSWORD@db-host/facegate?charset=utf8mb4); "
            "FACEGATE_DEMO=true allows a local SQLite file, for a one-machine demo"
        )
    return f"sqlite:///{instance_dir / 'facegate.db'}"


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


def engine_options(database_url: str) -> dict:
    """SQLAlchemy engine options suited to the database behind DATABASE_URL."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    options: dict = {"pool_pre_ping": True, "pool_recycle": 1800}
    if database_url.startswith("mysql"):
        options["connect_args"] = {"charset": "utf8mb4"}
    return options


class Config:
    """Settings for the web app, the workers and the CLI, taken from the environment when built."""

    def __init__(self) -> None:
        # The demo: one machine, a local SQLite file and a generated key are allowed (nowhere else).
        self.DEMO = _env_bool("FACEGATE_DEMO", False)
        self.INSTANCE_DIR = Path(_env_str("FACEGATE_INSTANCE_DIR", str(PROJECT_ROOT / "instance")))
        self.SQLALCHEMY_DATABASE_URI = _database_url(self.INSTANCE_DIR, self.DEMO)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.REDIS_URL = _env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.SECRET_KEY = load_secret_key(self.INSTANCE_DIR, self.DEMO)

        # Where things live on disk.
        self.DATA_DIR = Path(_env_str("FACEGATE_DATA_DIR", str(PROJECT_ROOT / "dataset")))
        self.MEDIA_DIR = Path(_env_str("FACEGATE_MEDIA_DIR", str(self.INSTANCE_DIR / "media")))
        # A local cache of the TensorFlow embedder's weights; trained models live in the shared database.
        self.MODEL_DIR = Path(_env_str("FACEGATE_MODEL_DIR", str(self.INSTANCE_DIR / "models")))
        # Every process asks the shared model store for a newer version at most this often (seconds).
        self.MODEL_CHECK_S = _env_float("FACEGATE_MODEL_CHECK_S", 1.0)
        self.TIMEZONE = _env_str("FACEGATE_TIMEZONE", "UTC")

        # Serving (gunicorn.conf.py reads these): where, how many processes and threads, and TLS.
        self.WEB_BIND = _env_str("FACEGATE_BIND", "127.0.0.1:5000")
        self.WEB_WORKERS = _env_int("FACEGATE_WEB_WORKERS", 2)
        # Each long-polling gate holds a thread for up to EVENTS_MAX_WAIT_S: workers x threads > gates + people.
        self.WEB_THREADS = _env_int("FACEGATE_WEB_THREADS", 128)
        self.TLS_CERT_FILE = _env_str("FACEGATE_TLS_CERT", "")
        self.TLS_KEY_FILE = _env_str("FACEGATE_TLS_KEY", "")
        # The site CA that the gates' https:// camera streams must be signed by (camera_ingest); empty: system CAs.
        self.CAMERA_CA_FILE = _env_str("FACEGATE_CAMERA_CA_FILE", "")

        # Web app.
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # Served over HTTPS (FACEGATE_TLS_CERT), cookies are sent over HTTPS only unless said otherwise.
        self.SESSION_COOKIE_SECURE = _env_bool("FACEGATE_SECURE_COOKIES", bool(self.TLS_CERT_FILE))
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.MAX_CONTENT_LENGTH = _env_int("FACEGATE_MAX_UPLOAD_MB", 64) * 1024 * 1024
        self.MIN_PASSWORD_LENGTH = _env_int("FACEGATE_MIN_PASSWORD_LENGTH", 8)
        self.LOGIN_MAX_FAILURES = _env_int("FACEGATE_LOGIN_MAX_FAILURES", 5)
        self.LOGIN_LOCKOUT_S = _env_int("FACEGATE_LOGIN_LOCKOUT_S", 900)
        # Unknown bearer tokens one address may send to /api/ before it is refused for API_TOKEN_LOCKOUT_S.
        self.API_TOKEN_MAX_FAILURES = _env_int("FACEGATE_API_TOKEN_MAX_FAILURES", 20)
        self.API_TOKEN_LOCKOUT_S = _env_int("FACEGATE_API_TOKEN_LOCKOUT_S", 300)
        self.AVATAR_MAX_BYTES = _env_int("FACEGATE_AVATAR_MAX_KB", 5120) * 1024
        # Bearer token a Prometheus scraper sends to GET /metrics; empty: only signed-in admins may read it.
        self.METRICS_TOKEN = _env_str("FACEGATE_METRICS_TOKEN", "")

        # Recognition.
        self.DETECTOR = _env_str("FACEGATE_DETECTOR", "opencv")
        self.EMBEDDER = _env_str("FACEGATE_EMBEDDER", "onnxruntime")
        self.MIN_FACE_PX = _env_int("FACEGATE_MIN_FACE_PX", 40)
        # Consulted only when FaceNet is unsure: "dlib" (the default) or "none".
        self.SECOND_EMBEDDER = _env_str("FACEGATE_SECOND_EMBEDDER", "dlib")
        # Faces of people who will never be enrolled, for stranger thresholds (docs/recognition.md).
        shipped_cohort = PROJECT_ROOT / "app" / "recognition" / "data" / "cohort-lfw.npz"
        self.COHORT_FILE = Path(_env_str("FACEGATE_COHORT_FILE", str(shipped_cohort)))
        # The strangers the gates decided join the cohort at training (the newest this many, of this many days).
        self.SITE_COHORT_MAX = _env_int("FACEGATE_SITE_COHORT_MAX", 2000)
        self.SITE_COHORT_DAYS = _env_int("FACEGATE_SITE_COHORT_DAYS", 90)
        # Snapshots: the face crop of every gate decision (shown in the live page, the log, the review and /me) is
        # kept this many days, and with it the rows of grants and denials nobody marked "not this person".
        self.SNAPSHOT_DAYS = _env_int("FACEGATE_SNAPSHOT_DAYS", 30)
        # Also keep the whole frame that decided (a JPEG as the camera sent it), not only the face crop.
        self.SNAPSHOT_FRAMES = _env_bool("FACEGATE_SNAPSHOT_FRAMES", False)
        # The admin's live camera view: each gate's latest processed frame kept in Redis for a few seconds.
        self.LIVE_VIEW = _env_bool("FACEGATE_LIVE_VIEW", True)

        # Enrolment.
        self.CAPTURE_SHOTS = _env_int("FACEGATE_CAPTURE_SHOTS", 50)
        self.CAPTURE_EVERY_N_FRAMES = _env_int("FACEGATE_CAPTURE_EVERY_N_FRAMES", 5)

        # Live decisions at the gates.
        self.WINDOW_FRAMES = _env_int("FACEGATE_WINDOW_FRAMES", 50)
        self.MIN_VOTES = _env_int("FACEGATE_MIN_VOTES", 5)
        # A stranger needs more agreeing frames than a person: a member of staff is never turned away for a few
        # unsure frames.
        self.STRANGER_VOTES = _env_int("FACEGATE_STRANGER_VOTES", 2 * self.MIN_VOTES)
        self.COOLDOWN_S = _env_float("FACEGATE_COOLDOWN_S", 30.0)
        self.TRACK_GAP_S = _env_float("FACEGATE_TRACK_GAP_S", 2.0)
        self.POOL_EMBEDDINGS = _env_bool("FACEGATE_POOL_EMBEDDINGS", True)
        # Liveness (docs/liveness.md): a track is live when the mean live probability of its last LIVENESS_FRAMES
        # scored faces reaches LIVENESS_THRESHOLD (chosen on live frames only, `flask faces liveness-eval`); what a
        # gate does with a track that is not is its own setting (off, warn, enforce).
        self.LIVENESS_THRESHOLD = _env_float("FACEGATE_LIVENESS_THRESHOLD", 0.1)
        self.LIVENESS_FRAMES = _env_int("FACEGATE_LIVENESS_FRAMES", 5)
        self.EVENT_STREAM_MAXLEN = _env_int("FACEGATE_EVENT_STREAM_MAXLEN", 1000)
        self.EVENTS_MAX_WAIT_S = _env_float("FACEGATE_EVENTS_MAX_WAIT_S", 30.0)
        self.EVENT_FILE_MAX_BYTES = _env_int("FACEGATE_EVENT_FILE_MAX_MB", 10) * 1024 * 1024
        self.INGEST_FPS = _env_float("FACEGATE_INGEST_FPS", 10.0)
        self.INGEST_MAX_IN_FLIGHT = _env_int("FACEGATE_INGEST_MAX_IN_FLIGHT", 4)
        self.INGEST_RELOAD_S = _env_float("FACEGATE_INGEST_RELOAD_S", 10.0)
        self.INGEST_JPEG_QUALITY = _env_int("FACEGATE_INGEST_JPEG_QUALITY", 85)
        # Pacing (docs/capacity.md): at most this many frames/s while the only faces in view are decided, and while
        # nobody is in view and nothing moves; both equal to INGEST_FPS turn it off. The defaults never exceed it.
        self.INGEST_DECIDED_FPS = _env_float("FACEGATE_INGEST_DECIDED_FPS", min(5.0, self.INGEST_FPS))
        self.INGEST_IDLE_FPS = _env_float("FACEGATE_INGEST_IDLE_FPS", min(2.0, self.INGEST_FPS))

        # Integrations (docs/integrations.md): the MQTT publisher is off while FACEGATE_MQTT_URL is empty.
        self.MQTT_URL = _env_str("FACEGATE_MQTT_URL", "")
        self.MQTT_BROKER = mqtt_broker(self.MQTT_URL) if self.MQTT_URL else None
        self.MQTT_USERNAME = _env_str("FACEGATE_MQTT_USERNAME", "")
        self.MQTT_PASSWORD = _env_str("FACEGATE_MQTT_PASSWORD", "")
        self.MQTT_CA_FILE = _env_str("FACEGATE_MQTT_CA_FILE", "")
        self.MQTT_CLIENT_ID = _env_str("FACEGATE_MQTT_CLIENT_ID", "facegate")
        self.MQTT_TOPIC_PREFIX = _env_str("FACEGATE_MQTT_TOPIC_PREFIX", "facegate").strip("/")
        self.MQTT_RETAIN = _env_str("FACEGATE_MQTT_RETAIN", "state").lower()
        self.MQTT_DISCOVERY_PREFIX = _env_str("FACEGATE_MQTT_DISCOVERY_PREFIX", "homeassistant").strip("/")
        self.MQTT_DISCOVERY = _env_bool("FACEGATE_MQTT_DISCOVERY", True)
        # The lock shows unlocked this long after a grant (the gate's open time plus a margin).
        self.MQTT_RELOCK_S = _env_float("FACEGATE_MQTT_RELOCK_S", 5.0)
        # Webhooks: each attempt's time limit, attempts before a delivery fails, backoff (doubling, capped).
        self.WEBHOOK_TIMEOUT_S = _env_float("FACEGATE_WEBHOOK_TIMEOUT_S", 10.0)
        self.WEBHOOK_MAX_ATTEMPTS = _env_int("FACEGATE_WEBHOOK_MAX_ATTEMPTS", 8)
        self.WEBHOOK_RETRY_BASE_S = _env_float("FACEGATE_WEBHOOK_RETRY_BASE_S", 10.0)
        self.WEBHOOK_RETRY_MAX_S = _env_float("FACEGATE_WEBHOOK_RETRY_MAX_S", 3600.0)
        # How often gates' heartbeats are checked for online/offline and the gate list re-read.
        self.INTEGRATIONS_RELOAD_S = _env_float("FACEGATE_INTEGRATIONS_RELOAD_S", 5.0)

        # Retention (the nightly `facegate.retention` beat task, docs/operations.md); 0 days keeps forever.
        self.LOG_RETENTION_DAYS = _env_int("FACEGATE_LOG_RETENTION_DAYS", 0)
        self.EVENT_FILE_RETENTION_DAYS = _env_int("FACEGATE_EVENT_FILE_RETENTION_DAYS", 90)
        self.RAW_PHOTO_RETENTION_DAYS = _env_int("FACEGATE_RAW_PHOTO_RETENTION_DAYS", 0)
        # A visitor's photos and embeddings are forgotten this many days after their pass ends (0: the next run).
        self.VISITOR_FORGET_DAYS = _env_int("FACEGATE_VISITOR_FORGET_DAYS", 7)
        self._validate()

    def _validate(self) -> None:
        """Raise ConfigError for settings that cannot work together, before any process uses them."""
        _choice("FACEGATE_DETECTOR", self.DETECTOR, DETECTORS)
        _choice("FACEGATE_EMBEDDER", self.EMBEDDER, EMBEDDERS)
        _choice("FACEGATE_SECOND_EMBEDDER", self.SECOND_EMBEDDER, SECOND_EMBEDDERS)
        _choice("FACEGATE_MQTT_RETAIN", self.MQTT_RETAIN, ("state", "all", "none"))
        try:
            ZoneInfo(self.TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"FACEGATE_TIMEZONE must be a time zone name such as Europe/Berlin, "
                              f"got {self.TIMEZONE!r}") from None  # fmt: skip
        if self.WINDOW_FRAMES < 1 or not 1 <= self.MIN_VOTES <= self.WINDOW_FRAMES:
            raise ConfigError("need FACEGATE_WINDOW_FRAMES >= 1 and 1 <= FACEGATE_MIN_VOTES <= "
                              f"FACEGATE_WINDOW_FRAMES, got {self.WINDOW_FRAMES} and {self.MIN_VOTES}")  # fmt: skip
        if not self.MIN_VOTES <= self.STRANGER_VOTES <= self.WINDOW_FRAMES:
            raise ConfigError("need FACEGATE_MIN_VOTES <= FACEGATE_STRANGER_VOTES <= FACEGATE_WINDOW_FRAMES, "
                              f"got {self.MIN_VOTES}, {self.STRANGER_VOTES}, {self.WINDOW_FRAMES}")  # fmt: skip
        at_least = {
            "FACEGATE_MIN_FACE_PX": (self.MIN_FACE_PX, 1), "FACEGATE_MODEL_CHECK_S": (self.MODEL_CHECK_S, 0),
            "FACEGATE_CAPTURE_SHOTS": (self.CAPTURE_SHOTS, 1),
            "FACEGATE_CAPTURE_EVERY_N_FRAMES": (self.CAPTURE_EVERY_N_FRAMES, 1),
            "FACEGATE_INGEST_MAX_IN_FLIGHT": (self.INGEST_MAX_IN_FLIGHT, 1),
            "FACEGATE_EVENT_STREAM_MAXLEN": (self.EVENT_STREAM_MAXLEN, 1),
            "FACEGATE_INGEST_FPS": (self.INGEST_FPS, 0.01), "FACEGATE_COOLDOWN_S": (self.COOLDOWN_S, 0),
            "FACEGATE_TRACK_GAP_S": (self.TRACK_GAP_S, 0.01), "FACEGATE_EVENTS_MAX_WAIT_S": (self.EVENTS_MAX_WAIT_S, 0),
            "FACEGATE_LOG_RETENTION_DAYS": (self.LOG_RETENTION_DAYS, 0),
            "FACEGATE_EVENT_FILE_RETENTION_DAYS": (self.EVENT_FILE_RETENTION_DAYS, 0),
            "FACEGATE_RAW_PHOTO_RETENTION_DAYS": (self.RAW_PHOTO_RETENTION_DAYS, 0),
            "FACEGATE_SNAPSHOT_DAYS": (self.SNAPSHOT_DAYS, 1),
            "FACEGATE_SITE_COHORT_DAYS": (self.SITE_COHORT_DAYS, 0),
            "FACEGATE_SITE_COHORT_MAX": (self.SITE_COHORT_MAX, 0),
            "FACEGATE_VISITOR_FORGET_DAYS": (self.VISITOR_FORGET_DAYS, 0),
            "FACEGATE_API_TOKEN_MAX_FAILURES": (self.API_TOKEN_MAX_FAILURES, 1),
            "FACEGATE_API_TOKEN_LOCKOUT_S": (self.API_TOKEN_LOCKOUT_S, 1),
            "FACEGATE_MQTT_RELOCK_S": (self.MQTT_RELOCK_S, 0),
            "FACEGATE_INTEGRATIONS_RELOAD_S": (self.INTEGRATIONS_RELOAD_S, 0.1),
            "FACEGATE_WEBHOOK_TIMEOUT_S": (self.WEBHOOK_TIMEOUT_S, 0.1),
            "FACEGATE_WEBHOOK_MAX_ATTEMPTS": (self.WEBHOOK_MAX_ATTEMPTS, 1),
            "FACEGATE_WEBHOOK_RETRY_BASE_S": (self.WEBHOOK_RETRY_BASE_S, 0),
            "FACEGATE_WEBHOOK_RETRY_MAX_S": (self.WEBHOOK_RETRY_MAX_S, 0),
            "FACEGATE_WEB_WORKERS": (self.WEB_WORKERS, 1), "FACEGATE_WEB_THREADS": (self.WEB_THREADS, 1),
        }  # fmt: skip
        for name, (value, least) in at_least.items():
            if not value >= least:  # also refuses NaN
                raise ConfigError(f"{name} must be at least {least}, got {value}")
        for name, path in (("FACEGATE_TLS_CERT", self.TLS_CERT_FILE), ("FACEGATE_TLS_KEY", self.TLS_KEY_FILE)):
            if bool(self.TLS_CERT_FILE) != bool(self.TLS_KEY_FILE) or (path and not Path(path).is_file()):
                raise ConfigError(f"{name} must name a PEM file, and FACEGATE_TLS_CERT and FACEGATE_TLS_KEY be set "
                                  f"together; got {path!r}")  # fmt: skip
        if self.CAMERA_CA_FILE and not Path(self.CAMERA_CA_FILE).is_file():
            raise ConfigError(f"FACEGATE_CAMERA_CA_FILE must name a PEM file, got {self.CAMERA_CA_FILE!r}")
        for name, paced in (("FACEGATE_INGEST_DECIDED_FPS", self.INGEST_DECIDED_FPS),
                            ("FACEGATE_INGEST_IDLE_FPS", self.INGEST_IDLE_FPS)):
            if not 0 < paced <= self.INGEST_FPS:  # also refuses NaN
                raise ConfigError(f"{name} must be positive and at most FACEGATE_INGEST_FPS ({self.INGEST_FPS}), "
                                  f"got {paced}")  # fmt: skip
        if not 1 <= self.INGEST_JPEG_QUALITY <= 100:
            raise ConfigError(f"FACEGATE_INGEST_JPEG_QUALITY must be 1-100, got {self.INGEST_JPEG_QUALITY}")
        if not 0.0 <= self.LIVENESS_THRESHOLD <= 1.0:  # also refuses NaN
            raise ConfigError(f"FACEGATE_LIVENESS_THRESHOLD must be 0-1, got {self.LIVENESS_THRESHOLD}")
        if not 1 <= self.LIVENESS_FRAMES <= self.STRANGER_VOTES:
            raise ConfigError("need 1 <= FACEGATE_LIVENESS_FRAMES <= FACEGATE_STRANGER_VOTES, "
                              f"got {self.LIVENESS_FRAMES} and {self.STRANGER_VOTES}")  # fmt: skip

    @classmethod
    def at_start(cls) -> Config:
        """The configuration for a process that is starting: a ConfigError stops it with a clear message."""
        try:
            return cls()
        except ConfigError as exc:
            raise SystemExit(f"facegate: configuration error: {exc}") from None

    def as_dict(self) -> dict:
        """The settings as a plain dict, for app.config.from_mapping."""
        return {name: value for name, value in vars(self).items() if name.isupper()}
