"""Celery wired the way Flask documents it: one Celery app per Flask app, tasks run in an app context."""

from __future__ import annotations

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask, has_app_context

from app.extensions import db
from celery_config import celery_settings


def celery_init_app(flask_app: Flask) -> Celery:
    """Create the Celery app for flask_app and store it in flask_app.extensions['celery']."""

    class FlaskTask(Task):
        """Runs the task inside flask_app's context, reusing one that is already pushed."""

        def __call__(self, *args, **kwargs):
            if has_app_context():
                return self.run(*args, **kwargs)
            with flask_app.app_context():
                # Leaving the context removes the scoped session, so no task sees another's state.
                return self.run(*args, **kwargs)

    celery = Celery(flask_app.name, task_cls=FlaskTask)
    celery.config_from_object(celery_settings(flask_app.config["REDIS_URL"]))
    celery.set_default()
    flask_app.extensions["celery"] = celery

    @worker_process_init.connect(weak=False)
    def _dispose_inherited_connections(**_kwargs) -> None:
        # A forked worker must not share the parent's pooled database connections.
        with flask_app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)

    return celery
