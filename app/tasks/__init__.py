"""Celery tasks. They stay thin: load ids, call plain functions, record progress."""

from app.tasks import health  # noqa: F401  (registers the tasks)
