"""The Celery entry point: `celery -A worker worker` starts a worker with facegate's tasks."""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
