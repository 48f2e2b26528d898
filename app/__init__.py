"""facegate's Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.config import Config


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: configuration (a bad setting stops the process), extensions, Celery, blueprints,
    Flask-Admin and CLI commands."""
    from app import models, tasks  # noqa: F401  (register the tables and the Celery tasks)
    from app.admin import init_admin
    from app.celery_app import celery_init_app
    from app.cli import register_cli
    from app.extensions import csrf, db, login_manager, migrate
    from app.views import register_views

    config = Config.at_start()
    flask_app = Flask(__name__, instance_path=str(config.INSTANCE_DIR))
    flask_app.config.from_mapping(config.as_dict())
    if overrides:
        flask_app.config.update(overrides)

    db.init_app(flask_app)
    migrate.init_app(flask_app, db, render_as_batch=True, compare_type=True)
    login_manager.init_app(flask_app)
    csrf.init_app(flask_app)
    celery_init_app(flask_app)
    register_views(flask_app)
    init_admin(flask_app)
    register_cli(flask_app)
    return flask_app
